"""Deterministic identifiers, so a redelivered decision lands on the same rows (idempotent upserts).

Inputs are already pseudonymous tokens or contract ids; hashing keeps ids fixed-width and opaque.
"""

import hashlib

_SEP = "\x1f"  # a unit separator cannot occur in the codes being joined, so joins never collide


def case_id_for(person_ref: str) -> str:
    """`c_` + 32 hex: one case per person, whichever event opened it."""
    return "c_" + hashlib.sha256(f"case{_SEP}{person_ref}".encode()).hexdigest()[:32]


def referral_id_for(decision_id: str, pathway: str) -> str:
    """`r_` + 32 hex of sha256(decision id, pathway): one referral per pathway of a decision."""
    return "r_" + hashlib.sha256(f"{decision_id}{_SEP}{pathway}".encode()).hexdigest()[:32]
