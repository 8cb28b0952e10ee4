"""The flows service on the real broker: known counts per window and dimension, late events,
redelivered decisions and a restart, read back from the database, the API and the topic."""

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from kafka import KafkaConsumer

from schemas.flows import FlowAggregateV1
from schemas.topics import CASES_CHANGES, DECISIONS, FLOWS_AGGREGATES
from services.adapters.clock import FixedClock
from services.adapters.db.tokens import TokenStore
from services.flows.api import create_api
from services.flows.store import FlowCellStore
from tests.integration.flows.conftest import FlowsStack
from tests.integration.flows.stream import HOUR, decision, main_stream, outcomes

DAY = datetime(2026, 3, 4, tzinfo=UTC)
NOW = datetime(2026, 3, 10, tzinfo=UTC)


def late_stream() -> list[Any]:
    """One person moves stream time to 13:30, then sends 10:50 (too late) and 12:20 (in grace)."""
    at = [
        HOUR + timedelta(hours=3, minutes=30),
        HOUR + timedelta(minutes=50),
        HOUR + timedelta(hours=2, minutes=20),
    ]
    return [decision("late", t, ("ASYLUM_PROCEDURE",)) for t in at]


def hour_total(store: FlowCellStore, start: datetime, measure: str = "arrivals") -> int:
    return sum(store.cells([measure], "hour", start, start + timedelta(hours=1)).values())  # type: ignore[list-item]


def table(client: TestClient, token: str, **params: Any) -> dict[str, Any]:
    response = client.get(
        "/flows/table", params=params, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    return response.json()


def by(body: dict[str, Any], dim: str) -> dict[str, int | None]:
    return {row[dim]: row["count"] for row in body["rows"]}


def assert_known_counts(stack: FlowsStack, *, later: int = 0) -> None:
    """The known counts; `later` arrivals of Syrian men came after 13:00 on the same day."""
    api = create_api(stack.settings, clock=FixedClock(NOW), engine=stack.engine)
    pepper = stack.settings.token_pepper.get_secret_value().encode()
    token = TokenStore(stack.engine, pepper).create("UNHCR", "monitor", now=NOW).token
    client = TestClient(api)
    hour = {
        "granularity": "hour",
        "start": HOUR.isoformat(),
        "end": (HOUR + timedelta(hours=1)).isoformat(),
    }
    day = {
        "granularity": "day",
        "start": DAY.isoformat(),
        "end": (DAY + timedelta(days=1)).isoformat(),
    }

    nationality = table(client, token, measure="arrivals", group_by="nationality", **hour)
    assert by(nationality, "nationality") == {"SDN": 6, "SYR": 12, "TUN": 8}
    assert nationality["total"] == 26  # the 10:50 event came too late for its hour
    assert by(table(client, token, measure="arrivals", group_by="sex", **hour), "sex") == {
        "female": 8,
        "male": 18,
    }
    pathways = table(client, token, measure="referrals", group_by="pathway", **hour)
    assert by(pathways, "pathway") == {
        "ASYLUM_PROCEDURE": 18,
        "CHILD_PROTECTION": None,  # secondary: it would give away the 4 below
        "LABOUR_MOBILITY": 8,
        "RETURN_REINTEGRATION": None,  # 4 returns: small
    }
    assert pathways["total"] == 36
    assert table(client, token, measure="returns", **hour)["total"] is None
    daily = table(client, token, measure="arrivals", group_by="nationality", **day)
    assert by(daily, "nationality") == {"SDN": 6, "SYR": 15 + later, "TUN": 8}  # 3 from `late`
    children = table(
        client, token, measure="referrals", group_by="pathway", age_band="12-17", **day
    )
    assert by(children, "pathway") == {"ASYLUM_PROCEDURE": 6, "CHILD_PROTECTION": 6}
    # Outcomes: 5 in time and 1 overdue; the 1 is hidden, and so is the 5 that would give it away.
    sla = table(
        client,
        token,
        measure="outcomes",
        group_by="sla",
        granularity="day",
        start=DAY.isoformat(),
        end=(DAY + timedelta(days=2)).isoformat(),
    )
    assert by(sla, "sla") == {"met": None, "missed": None} and sla["total"] == 6
    # Internally the store keeps what was hidden, and the too-late event apart.
    store = FlowCellStore(stack.engine)
    assert hour_total(store, HOUR) == 26 and hour_total(store, HOUR, "returns") == 4
    assert hour_total(store, HOUR + timedelta(hours=2)) == 1  # late, within the grace
    late = store.cells(["arrivals"], "hour", HOUR, HOUR + timedelta(hours=1), late=True)
    assert sum(late.values()) == 1


def read_aggregates(stack: FlowsStack) -> dict[str, FlowAggregateV1]:
    consumer = KafkaConsumer(
        stack.topic(FLOWS_AGGREGATES),
        bootstrap_servers=stack.settings.kafka.bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
        group_id=f"r-{uuid.uuid4().hex[:8]}",
    )
    latest = {r.key.decode(): FlowAggregateV1.model_validate_json(r.value) for r in consumer}
    consumer.close()
    return latest


def test_a_known_stream_gives_exactly_its_counts_per_window_and_dimension_across_a_restart(
    flows_stack: FlowsStack,
) -> None:
    store = FlowCellStore(flows_stack.engine)
    flows_stack.start()
    flows_stack.publish(DECISIONS, main_stream())
    flows_stack.publish(DECISIONS, late_stream())
    flows_stack.publish(DECISIONS, main_stream()[:10])  # redelivered by an at-least-once router
    flows_stack.publish(CASES_CHANGES, outcomes())
    flows_stack.wait_until(lambda: hour_total(store, HOUR + timedelta(hours=3)) == 1)
    flows_stack.wait_until(lambda: hour_total(store, HOUR + timedelta(hours=2), "outcomes") == 5)
    flows_stack.wait_until(
        lambda: sum(store.cells(["outcomes"], "day", DAY, DAY + timedelta(days=2)).values()) == 6
    )
    assert_known_counts(flows_stack)

    topic = read_aggregates(flows_stack)
    assert topic["hour|2026-03-04T10:00:00Z|arrivals|nationality=SYR"].count == 12
    assert topic["hour|2026-03-04T10:00:00Z|arrivals|"].count == 26
    small = topic["hour|2026-03-04T12:00:00Z|arrivals|"]
    assert small.suppressed and small.count is None

    flows_stack.stop()
    flows_stack.start()
    flows_stack.publish(DECISIONS, main_stream())  # everything again, after the restart
    flows_stack.publish(
        DECISIONS, [decision("after", HOUR + timedelta(hours=4, minutes=10), ("ASYLUM_PROCEDURE",))]
    )
    flows_stack.wait_until(lambda: hour_total(store, HOUR + timedelta(hours=4)) == 1)
    time.sleep(2)  # leave time for any wrongly counted redelivery to show up
    assert_known_counts(flows_stack, later=1)
