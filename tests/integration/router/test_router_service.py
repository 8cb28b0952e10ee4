"""The router on the real broker: every valid event gets one decision, bad ones a dead letter."""

import itertools
from collections import defaultdict

import orjson
import pytest

from schemas.deadletters import DeadLetterV1
from schemas.decisions import DecisionV1
from schemas.rules import Ruleset
from schemas.topics import DECISIONS, EVENTS_DEADLETTER, EVENTS_INBOUND, RULES
from services.domain.rules import load_ruleset
from services.router.app import DEFAULT_RULES_DIR
from tests.integration.router.conftest import (
    RunningRouter,
    generated_events,
    publish,
    read_all,
)


@pytest.mark.parametrize("router", [0, 25], indirect=True, ids=["answered", "lingering"])
def test_valid_events_get_one_decision_each_and_invalid_ones_a_dead_letter(
    kafka_broker: str, router: RunningRouter
) -> None:
    events = generated_events(300)
    publish(kafka_broker, router.topic(EVENTS_INBOUND), events)
    bad = dict(events[0], id="bad-1", data={**events[0]["data"], "person_ref": "a@b.org"})
    publish(kafka_broker, router.topic(EVENTS_INBOUND), [bad])

    decisions = [
        DecisionV1.model_validate_json(r.value)
        for r in read_all(kafka_broker, router.topic(DECISIONS), 300)
    ]
    letters = [
        DeadLetterV1.model_validate_json(r.value)
        for r in read_all(kafka_broker, router.topic(EVENTS_DEADLETTER), 1)
    ]

    assert sorted(d.event_id for d in decisions) == sorted(e["id"] for e in events)
    assert all(d.ruleset.id == "default" and d.referrals for d in decisions)
    # The setting reaches the loop (whose linger the batch-loop tests cover).
    assert router.service.loop.config.linger_ms == router.settings.router.linger_ms
    assert len(letters) == 1
    assert letters[0].offset is not None
    assert any(p.kind == "direct_identifier" for p in letters[0].problems)
    assert "a@b.org" not in letters[0].model_dump_json()


def _published(version: int) -> bytes:
    path = DEFAULT_RULES_DIR / "default.yaml"
    ruleset = load_ruleset(path.read_text(), str(path)).ruleset
    return ruleset.model_copy(update={"version": version}).model_dump_json().encode()


def test_a_ruleset_published_while_events_flow_switches_once_per_partition(
    kafka_broker: str, router: RunningRouter
) -> None:
    events = generated_events(2000, seed=11)
    inbound = router.topic(EVENTS_INBOUND)
    publish(kafka_broker, inbound, events[:1000])
    # The new version is published once the router has decided with the old one: a fixed sleep
    # let a busy machine publish it before the first batch was routed, and no v1 decision was
    # left to switch from.
    assert read_all(kafka_broker, router.topic(DECISIONS), 1)
    publish_rules = [{"key": "default", "value": _published(2)}]
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=kafka_broker, acks="all")
    for item in publish_rules:
        producer.send(router.topic(RULES), key=item["key"].encode(), value=item["value"])
    producer.flush()
    producer.close()
    publish(kafka_broker, inbound, events[1000:])

    records = read_all(kafka_broker, router.topic(DECISIONS), 2000)
    versions_by_partition: dict[int, list[int]] = defaultdict(list)
    for record in records:
        versions_by_partition[record.partition].append(
            orjson.loads(record.value)["ruleset"]["version"]
        )

    ids = [orjson.loads(r.value)["event_id"] for r in records]
    assert len(ids) == 2000 and len(set(ids)) == 2000  # none lost, none duplicated
    for versions in versions_by_partition.values():
        switches = sum(1 for a, b in itertools.pairwise(versions) if a != b)
        assert versions == sorted(versions) and switches <= 1
    assert {v for vs in versions_by_partition.values() for v in vs} == {1, 2}
    assert Ruleset.model_validate_json(_published(2)).version == 2
