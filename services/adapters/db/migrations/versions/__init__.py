"""Revisions of the case store schema, oldest first."""
