"""Alembic environment and revisions of the case store."""
