"""Inputs for the security tests: a valid inbound event and hypothesis strategies of bad ones."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from tests.unit.schemas.examples import arrival

SCALAR = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)  # JSON has neither
    | st.text(max_size=30)
)
JSON = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
QUERY_VALUE = st.one_of(
    st.text(max_size=40),
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(
        ["", "0", "-1", "1e309", "NaN", "true", "2026-13-45T99:00:00Z", "2026-11-29T00:00:00",
         "2026-11-29T00:00:00Z", "unknown", "ITA", "arrivals", "day", "hour", "%00", "../..",
         "' OR 1=1 --", "\u202e", "x" * 5000]
    ),
)  # fmt: skip


def valid_event(agency: str = "ITA-MOI") -> dict[str, Any]:
    """A valid arrival of `agency` with a fresh id, a minute old."""
    event = arrival()
    event["id"] = str(uuid.uuid4())
    event["time"] = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    event["source"] = f"urn:mixflow:agency:{agency}"
    event["agency"] = agency
    return event
