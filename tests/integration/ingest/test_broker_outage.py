"""With the broker stopped the API answers 503 (not 202), and once it is back nothing is lost.

Runs its own broker on its own ports, so stopping it touches nothing else."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import pytest

from schemas.topics import EVENTS_INBOUND
from services.adapters import local_kafka
from services.adapters.kafka import ensure_topics, topic_name
from services.adapters.settings import KafkaSettings, Settings
from services.ingest.client import Backoff, IngestClient
from tests.conftest import CACHE_DIR
from tests.integration.ingest.conftest import api_settings, serve, token_store
from tests.integration.ingest.test_http_ingest import CE, ita
from tests.integration.router.conftest import generated_events, read_all


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[tuple[KafkaSettings, local_kafka.BrokerPaths]]:
    """A broker of this test alone, not started yet; stopped afterwards if it was started."""
    kafka = KafkaSettings(bootstrap="127.0.0.1:19592", controller_port=19593, partitions=1,
                          topic_prefix=f"o{uuid.uuid4().hex[:6]}.")  # fmt: skip
    paths = local_kafka.broker_paths(kafka, tmp_path / "state", CACHE_DIR)
    yield kafka, paths
    local_kafka.down(paths)


def test_while_the_broker_is_down_the_api_answers_503_and_the_retried_events_all_arrive(
    own_broker: tuple[KafkaSettings, local_kafka.BrokerPaths], tmp_path: Path
) -> None:
    kafka, paths = own_broker
    inbound = topic_name(kafka, EVENTS_INBOUND)
    settings = api_settings(Settings(kafka=kafka), tmp_path, publish_timeout_s=2.0)
    token = token_store(settings).create("ITA-MOI", "publisher", now=datetime.now(UTC)).token
    events = ita(generated_events(3, seed=51))
    served = serve(settings)
    try:
        with httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {token}"},
                          timeout=30) as http:  # fmt: skip
            down = [http.post("/v1/events", content=orjson.dumps(e), headers=CE) for e in events]
            local_kafka.up(kafka, paths)
            ensure_topics(kafka, [(inbound, False)])
        # A client retries a 503 after a pause, as the documented client does.
        with IngestClient(served.url, token, backoff=Backoff(retries=5, base_s=0.5)) as client:
            back = [client.publish(e) for e in events]
    finally:
        served.stop()
    assert [r.status_code for r in down] == [503] * 3
    assert all(r.headers["retry-after"] for r in down)
    assert down[0].headers["content-type"].startswith("application/problem+json")
    assert [r.status_code for r in back] == [202] * 3
    arrived = {orjson.loads(r.value)["id"] for r in read_all(kafka.bootstrap, inbound, 3, 10)}
    assert arrived == {e["id"] for e in events}
