"""Agencies producing straight to Kafka: valid events are routed once, invalid ones dead-lettered
with their reason and origin, and re-sent events are dropped, even across a router restart."""

import base64
import copy
from typing import Any

import orjson
from kafka import KafkaProducer

from schemas.deadletters import DeadLetterV1
from schemas.decisions import DecisionV1
from schemas.topics import DECISIONS, EVENTS_DEADLETTER, EVENTS_INBOUND
from services.adapters.kafka import topic_name
from services.ingest.client import encode
from tests.integration.ingest.conftest import prefixed_settings, settle, start_router
from tests.integration.router.conftest import RunningRouter, generated_events, read_all


def produce(
    bootstrap: str, topic: str, messages: list[tuple[bytes | None, bytes, list[Any]]]
) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for key, value, headers in messages:
        producer.send(topic, key=key, value=value, headers=headers)
    producer.flush()
    producer.close()


def test_valid_kafka_events_in_either_mode_are_routed_once_and_bad_ones_dead_lettered(
    kafka_broker: str, router: RunningRouter
) -> None:
    events = generated_events(20, seed=31)
    structured = [encode(e, "structured") for e in events[:10]]
    binary = [encode(e, "binary") for e in events[10:]]
    resent = [encode(e, "binary") for e in events[:5]] + [
        encode(e, "structured") for e in events[15:]
    ]
    email = "someone@example.org"
    leaking = copy.deepcopy(events[0]) | {"id": "leak-1"}
    leaking["data"]["person_ref"] = email
    invalid = copy.deepcopy(events[1]) | {"id": "bad-1"}
    invalid["data"]["months_abroad" if "months_abroad" in invalid["data"] else "legal_status"] = -3
    mismatch = dict(events[2], id="bad-2", agency="IOM")
    bad = [
        (b"k", b'{"specversion": "1.0", "id": ', [("traceparent", b"00-abc-def-01")]),
        encode(invalid, "structured"),
        encode(mismatch, "binary"),
        encode(leaking, "structured"),
    ]
    inbound = router.topic(EVENTS_INBOUND)
    produce(kafka_broker, inbound, structured + binary + bad)
    produce(kafka_broker, inbound, resent)

    settle(router.service, 34)
    routed = read_all(kafka_broker, router.topic(DECISIONS), 21, timeout_s=1)
    decisions = [DecisionV1.model_validate_json(r.value) for r in routed]
    letters = [DeadLetterV1.model_validate_json(r.value)
               for r in read_all(kafka_broker, router.topic(EVENTS_DEADLETTER), 4)]  # fmt: skip

    assert sorted(d.event_id for d in decisions) == sorted(e["id"] for e in events)
    assert router.service.memory.duplicates == 10
    by_kind = {tuple(sorted({p.kind for p in letter.problems})): letter for letter in letters}
    assert set(by_kind) == {("malformed_json",), ("invalid_value",), ("inconsistent",),
                            ("direct_identifier",)}  # fmt: skip
    for letter in letters:
        assert (
            letter.topic == inbound and letter.offset is not None and letter.partition is not None
        )
        assert letter.consumer_group == router.service.group_id
    malformed = by_kind[("malformed_json",)]
    assert base64.b64decode(malformed.original_value or "") == bad[0][1]
    assert [(h.name, base64.b64decode(h.value)) for h in malformed.original_headers] == bad[0][2]
    assert by_kind[("inconsistent",)].original_headers  # binary mode: ce_* headers kept
    withheld = by_kind[("direct_identifier",)]
    assert withheld.withheld == "direct_identifier" and withheld.original_value is None
    assert email not in withheld.model_dump_json()


def test_a_restarted_router_remembers_what_it_routed_and_drops_re_sent_events(
    kafka_broker: str,
) -> None:
    settings = prefixed_settings(kafka_broker)
    inbound = topic_name(settings.kafka, EVENTS_INBOUND)
    events = generated_events(30, seed=41)
    first = start_router(settings)
    try:
        produce(kafka_broker, inbound, [encode(e, "structured") for e in events[:20]])
        assert len(read_all(kafka_broker, topic_name(settings.kafka, DECISIONS), 20, 15)) == 20
        settle(first.service, 20)
    finally:
        first.stop()
    second = start_router(settings)
    try:
        produce(kafka_broker, inbound, [encode(e, "structured") for e in events])
        settle(second.service, 30)
        decisions = read_all(kafka_broker, topic_name(settings.kafka, DECISIONS), 31, timeout_s=1)
    finally:
        second.stop()
    ids = [orjson.loads(r.value)["event_id"] for r in decisions]
    assert sorted(ids) == sorted(e["id"] for e in events)
    assert second.service.memory.duplicates == 20
