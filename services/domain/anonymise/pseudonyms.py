"""Keyed pseudonyms and age bands: the two transformations that remove direct identifiers.

Tokens are HMAC-SHA256 under the agency's secret key, truncated to 128 bits (32 hex): a plain
hash of a name and a date of birth can be reversed by hashing every plausible name and date,
a keyed hash cannot without the key. Inputs are normalised first (Unicode NFKC, case folded,
spaces collapsed) so that `AHMED  Ali` and `ahmed ali` give the same person. Each token kind
hashes under its own label, so a household token never equals a person token.
"""

import hashlib
import hmac
import unicodedata
from datetime import date

from schemas.codes import AgeBand

MIN_KEY_BYTES = 16
_SEPARATOR = "\x1f"  # ASCII unit separator: cannot occur in a normalised CSV cell


class Pseudonymiser:
    """Makes tokens with a secret key that it never shows (not in `repr`, not in errors)."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"the key must have at least {MIN_KEY_BYTES} bytes")
        self._key = key

    def __repr__(self) -> str:
        return "Pseudonymiser(key=<hidden>)"

    def token(self, kind: str, prefix: str, values: list[str]) -> str:
        """`prefix` + the first 32 hex of HMAC-SHA256(key, kind, normalised values)."""
        message = _SEPARATOR.join([kind, *(normalise(v) for v in values)]).encode()
        return prefix + hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]


def normalise(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def age_band(born: date, on: date) -> AgeBand:
    """The age band of someone born on `born`, on the day `on` (the event's date)."""
    if born > on:
        raise ValueError("date of birth after the event date")
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if years < 5:
        return "0-4"
    if years < 12:
        return "5-11"
    if years < 18:
        return "12-17"
    if years < 25:
        return "18-24"
    return "25-59" if years < 60 else "60+"
