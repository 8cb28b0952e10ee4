"""Publishing the active ruleset to the compacted `mixflow.rules` topic the routers follow.

Key = ruleset id, value = the `Ruleset` JSON. Compaction keeps the last record per ruleset, and
routers take the last valid record, so publishing is one acknowledged send.
"""

from typing import Protocol

from kafka import KafkaProducer

from schemas.rules import Ruleset
from schemas.topics import RULES
from services.adapters.kafka import reliable_producer, topic_name
from services.adapters.settings import KafkaSettings

SEND_TIMEOUT_S = 30.0


class RulesPublisher(Protocol):
    def publish(self, ruleset: Ruleset) -> None:
        """Return once the broker acknowledged the record; raise if it did not."""


class KafkaRulesPublisher:
    def __init__(self, settings: KafkaSettings, producer: KafkaProducer | None = None) -> None:
        self.topic = topic_name(settings, RULES)
        self._settings = settings
        self._producer = producer

    def _connected(self) -> KafkaProducer:
        # Connect on first use: the API starts (and answers reads) while the broker is away.
        if self._producer is None:
            self._producer = reliable_producer(self._settings, client_id="mixflow-rules-admin")
        return self._producer

    def publish(self, ruleset: Ruleset) -> None:
        value = ruleset.model_dump_json().encode()
        future = self._connected().send(self.topic, key=ruleset.id.encode(), value=value)
        future.get(timeout=SEND_TIMEOUT_S)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close()
