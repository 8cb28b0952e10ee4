"""Opaque page cursors: where a page ended, in a form callers pass back and never parse.

A cursor names its listing (`c` cases, `r` referrals), the sort time and the id of the last row.
It carries no filter: filters are sent again with each page, and a cursor only says where to go on.
"""

import base64
import binascii
from datetime import datetime

from services.adapters.db.case_queries import Position


class CursorError(ValueError):
    """A cursor this API did not issue for this listing."""


def encode(kind: str, position: Position) -> str:
    text = f"{kind}|{position.at.isoformat()}|{position.id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(kind: str, cursor: str) -> Position:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
        found, at, ident = text.split("|")
        when = datetime.fromisoformat(at)
    except (ValueError, UnicodeError, binascii.Error):
        raise CursorError("not a cursor of this API") from None
    if found != kind or when.tzinfo is None or not ident:
        raise CursorError("not a cursor of this listing")
    return Position(when, ident)
