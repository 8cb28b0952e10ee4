"""Dead letters of the casework service: records it cannot apply (the shared shape)."""

from services.adapters.deadletters import InboundRecord, dead_letter

__all__ = ["InboundRecord", "dead_letter"]
