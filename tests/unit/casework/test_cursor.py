"""Page cursors are opaque, round-trip exactly and are refused for another listing."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.adapters.db.case_queries import Position
from services.casework.cursor import CursorError, decode, encode

pytestmark = pytest.mark.unit


@given(
    st.datetimes(timezones=st.just(UTC)),
    st.text(alphabet="0123456789abcdef", min_size=32, max_size=32),
)
def test_a_cursor_gives_back_the_position_it_was_made_from(at, digits):
    position = Position(at, f"r_{digits}")
    assert decode("r", encode("r", position)) == position


def test_a_cursor_of_another_listing_or_of_nobody_is_refused():
    cursor = encode("c", Position(datetime(2025, 1, 1, tzinfo=UTC), "c_" + "0" * 32))
    for kind, value in (("r", cursor), ("r", "garbage"), ("r", "")):
        with pytest.raises(CursorError):
            decode(kind, value)
