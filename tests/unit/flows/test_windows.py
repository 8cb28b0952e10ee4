"""Tumbling windows by event time (UTC) and the grace that separates late from too late."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.domain.flows.windows import is_too_late, window_end, window_start

pytestmark = pytest.mark.unit


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_an_event_falls_in_the_hour_and_the_day_that_hold_it() -> None:
    ts = at("2025-03-04T17:42:09+00:00")
    assert window_start(ts, "hour") == at("2025-03-04T17:00:00+00:00")
    assert window_end(ts, "hour") == at("2025-03-04T18:00:00+00:00")
    assert window_start(ts, "day") == at("2025-03-04T00:00:00+00:00")
    assert window_end(ts, "day") == at("2025-03-05T00:00:00+00:00")


def test_a_window_includes_its_start_and_excludes_its_end() -> None:
    assert window_start(at("2025-03-04T18:00:00+00:00"), "hour") == at("2025-03-04T18:00:00+00:00")
    last = at("2025-03-04T23:59:59.999999+00:00")
    assert window_start(last, "day") == at("2025-03-04T00:00:00+00:00")


def test_windows_are_cut_in_utc_whatever_offset_the_event_carries() -> None:
    ts = datetime(2025, 3, 5, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert window_start(ts, "day") == datetime(2025, 3, 4, tzinfo=UTC)


def test_a_naive_event_time_is_refused_rather_than_guessed() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        window_start(datetime(2025, 3, 4, 12), "hour")


def test_an_event_within_the_grace_still_counts_in_its_window() -> None:
    ts = at("2025-03-04T17:59:00+00:00")
    grace = timedelta(minutes=10)
    watermark = at("2025-03-04T18:09:59+00:00")
    assert not is_too_late(ts, watermark=watermark, granularity="hour", grace=grace)


def test_an_event_is_too_late_once_the_watermark_reaches_window_end_plus_grace() -> None:
    ts = at("2025-03-04T17:59:00+00:00")
    grace = timedelta(minutes=10)
    watermark = at("2025-03-04T18:10:00+00:00")
    assert is_too_late(ts, watermark=watermark, granularity="hour", grace=grace)
    assert not is_too_late(ts, watermark=watermark, granularity="day", grace=grace)


def test_nothing_is_late_before_any_stream_time_exists() -> None:
    ts = at("2020-01-01T00:00:00+00:00")
    assert not is_too_late(ts, watermark=None, granularity="hour", grace=timedelta(0))
