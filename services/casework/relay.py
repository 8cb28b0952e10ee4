"""The outbox relay: publishes committed outbox rows to Kafka, then deletes them.

Rows leave in outbox order and are deleted only after the broker acknowledged every one of them
(`acks=all`, idempotent producer). A crash in between sends them again on the next run, under the
same message ids (the `message-id` header; case changes also carry `case_id` + `sequence`).
"""

import asyncio
import logging

from aiokafka import AIOKafkaProducer

from services.adapters.batch_stream import Outgoing, send_all
from services.adapters.db.outbox import OutboxReader, PendingMessage
from services.adapters.kafka import topic_name
from services.adapters.settings import KafkaSettings

log = logging.getLogger(__name__)
MESSAGE_ID_HEADER = "message-id"


class OutboxRelay:
    def __init__(
        self,
        reader: OutboxReader,
        producer: AIOKafkaProducer,
        kafka: KafkaSettings,
        *,
        batch: int,
    ) -> None:
        self._reader = reader
        self._producer = producer
        self._kafka = kafka
        self._batch = batch
        self.published = 0

    async def publish_pending(self) -> int:
        """Publish every row pending now, oldest first; 0 while another relay is at work."""
        total = 0
        while True:
            # Database calls run in a thread: a relay waiting on a lock must not stall the loop
            # that keeps this worker's consumer group membership alive.
            batch = await asyncio.to_thread(self._reader.take, self._batch)
            try:
                if batch.messages:
                    await send_all(self._producer, [self._record(m) for m in batch.messages])
                    await asyncio.to_thread(batch.delete_published)
            finally:
                await asyncio.to_thread(batch.release)
            total += len(batch.messages)
            self.published += len(batch.messages)
            if batch.rows < self._batch:
                return total

    def _record(self, message: PendingMessage) -> Outgoing:
        return Outgoing(
            topic_name(self._kafka, message.topic),
            message.key.encode(),
            message.payload.encode(),
            ((MESSAGE_ID_HEADER, message.message_id.encode()),),
        )
