"""Tumbling event-time windows (hour, day; UTC) and the rule telling a late event from a lost one.

Windows are keyed by the epoch second of their start so that the hot counting path hashes small
integers, not datetimes. Time is always passed in: the watermark is the largest event time the
caller has seen (a Faust worker keeps one per partition), never the wall clock.
"""

from datetime import UTC, datetime, timedelta
from typing import Literal, get_args

Granularity = Literal["hour", "day"]
GRANULARITIES: tuple[Granularity, ...] = get_args(Granularity)
SECONDS: dict[Granularity, int] = {"hour": 3600, "day": 86400}
"""Window length in seconds; UTC days have no leap seconds in POSIX time, so a day is 86400."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_seconds(ts: datetime) -> int:
    """Whole seconds since 1970-01-01 UTC; naive datetimes are refused, not guessed."""
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError("event time must be timezone-aware")
    # Integer arithmetic on the timedelta avoids float rounding at window boundaries.
    delta = ts - _EPOCH
    return delta.days * 86400 + delta.seconds


def window_index(ts: datetime, granularity: Granularity) -> int:
    """Epoch second at which the window holding `ts` starts: the cube's window key."""
    size = SECONDS[granularity]
    return epoch_seconds(ts) // size * size


def window_start(ts: datetime, granularity: Granularity) -> datetime:
    """Start (inclusive, UTC) of the tumbling window holding `ts`."""
    return from_index(window_index(ts, granularity))


def window_end(ts: datetime, granularity: Granularity) -> datetime:
    """End (exclusive, UTC) of the tumbling window holding `ts`."""
    return from_index(window_index(ts, granularity) + SECONDS[granularity])


def from_index(index: int) -> datetime:
    """The UTC datetime of a window key."""
    return _EPOCH + timedelta(seconds=index)


def is_too_late(
    ts: datetime, *, watermark: datetime | None, granularity: Granularity, grace: timedelta
) -> bool:
    """Whether an event arrives after its window closed: window end + grace <= watermark.

    An event inside the grace still updates its window; one past it must be counted apart by the
    caller (the window may already have been published), never dropped.
    """
    if watermark is None:
        return False
    return window_end(ts, granularity) + grace <= watermark
