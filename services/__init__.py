"""The mixflow backend: a pure domain core, shared adapters, and one folder per service."""
