"""Peer: the router's validate -> route -> emit path as a Quix Streams application.

Quix Streams runs on librdkafka (confluent-kafka): the consumer, producer and commit machinery
are C, and the application is a StreamingDataFrame with one `apply` step. The step calls the same
parser and the same compiled ruleset as the router and emits the same decision JSON, so what
differs is only the streaming machinery around them.
"""

import time
from datetime import UTC, datetime

from quixstreams import Application

from schemas.envelope import parse_structured
from schemas.errors import ContractError
from services.domain.rules import CompiledRuleset


def run_quix_router(
    bootstrap: str, source: str, sink: str, group: str, ruleset: CompiledRuleset, expected: int
) -> float:
    """Route `expected` records from `source` to `sink`; return the seconds it took."""
    first: list[float] = []

    def processed(_topic: str, _partition: int, _offset: int) -> None:
        if not first:
            first.append(time.perf_counter())

    app = Application(
        broker_address=bootstrap,
        consumer_group=group,
        auto_offset_reset="earliest",
        loglevel="WARNING",
        use_changelog_topics=False,
        commit_interval=1.0,
        on_message_processed=processed,
        producer_extra_config={"acks": "all", "enable.idempotence": True, "linger.ms": 5},
    )
    inbound = app.topic(source, key_deserializer="bytes", value_deserializer="bytes")
    decisions = app.topic(sink, key_serializer="bytes", value_serializer="bytes")

    def route(value: bytes) -> bytes | None:
        now = datetime.now(UTC)
        try:
            event = parse_structured(value, now=now)
        except ContractError:
            return None
        return ruleset.route(event, now=now).to_json()

    sdf = app.dataframe(inbound)
    sdf = sdf.apply(route).filter(lambda value: value is not None)
    sdf.to_topic(decisions)
    app.run(count=expected, collect=False)
    return time.perf_counter() - first[0]
