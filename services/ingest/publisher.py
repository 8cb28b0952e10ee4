"""Producing accepted events to `mixflow.events.inbound`, acknowledged or refused in bounded time.

An idempotent aiokafka producer with `acks=all`: `publish` returns only once the broker has
acknowledged every record, and raises `BrokerUnavailable` when that does not happen within the
configured time, so the API answers 503 instead of hanging. The producer is started on first use
and started again after a failed start, so the API serves (503) while the broker is down and
recovers by itself when it is back. A record that was not acknowledged in time may still arrive
later; the client retries after a 503 and the router drops the second copy (same source and id).
"""

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from services.adapters.kafka import aiokafka_options
from services.adapters.settings import KafkaSettings
from services.ingest.handlers import Accepted

log = logging.getLogger(__name__)


class BrokerUnavailable(RuntimeError):
    """The broker did not acknowledge the records in time; nothing was accepted."""


class EventSink(Protocol):
    async def publish(
        self, events: Sequence[Accepted], headers: Sequence[tuple[str, bytes]]
    ) -> None: ...

    async def close(self) -> None: ...


class KafkaEventSink:
    """Produces to one topic; one instance per API process, shared by all requests."""

    def __init__(self, settings: KafkaSettings, topic: str, *, timeout_s: float) -> None:
        self._settings = settings
        self._topic = topic
        self._timeout_s = timeout_s
        self._producer: AIOKafkaProducer | None = None
        self._starting = asyncio.Lock()

    async def publish(
        self, events: Sequence[Accepted], headers: Sequence[tuple[str, bytes]] = ()
    ) -> None:
        try:
            await asyncio.wait_for(self._send_all(events, list(headers)), self._timeout_s)
        except (TimeoutError, KafkaError, OSError) as exc:
            log.warning("broker did not acknowledge %d events: %s", len(events), type(exc).__name__)
            raise BrokerUnavailable(type(exc).__name__) from None

    async def _send_all(self, events: Sequence[Accepted], headers: list[tuple[str, bytes]]) -> None:
        producer = await self._started()
        pending: list[Any] = []
        for event in events:
            pending.append(
                await producer.send(self._topic, event.value, key=event.key, headers=headers)
            )
        await asyncio.gather(*pending)

    async def _started(self) -> AIOKafkaProducer:
        async with self._starting:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    client_id="mixflow-ingest",
                    acks="all",
                    enable_idempotence=True,
                    linger_ms=2,
                    request_timeout_ms=int(self._timeout_s * 1000),
                    **aiokafka_options(self._settings),
                )
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
