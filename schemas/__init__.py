"""Contracts of mixflow: the events agencies publish and the records mixflow emits.

Pure pydantic v2 models and the standard library only. Every other package depends on this one
and it depends on none of them.
"""
