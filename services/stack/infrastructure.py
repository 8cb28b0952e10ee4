"""What the services need before they start: broker, database schema, topics, a ruleset, tokens."""

import json
import os
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition
from sqlalchemy.engine import make_url

from schemas.topics import RULES, TOPICS
from services.adapters import local_kafka, local_postgres
from services.adapters.clock import SystemClock
from services.adapters.db.engine import create_engine_for
from services.adapters.db.migrate import migrate
from services.adapters.db.tokens import TokenStore
from services.adapters.kafka import (
    ensure_topics,
    kafka_python_options,
    reliable_producer,
    topic_name,
)
from services.adapters.settings import Settings
from services.domain.rules import load_ruleset

RULES_DIR = Path(__file__).resolve().parents[2] / "routing_rules"
DEMO_AGENCY = "ITA-MOI"


def start_broker(settings: Settings) -> tuple[int, bool]:
    paths = local_kafka.broker_paths(settings.kafka, settings.state_dir, settings.cache_dir)
    return local_kafka.up(settings.kafka, paths)


def stop_broker(settings: Settings) -> bool:
    return local_kafka.down(
        local_kafka.broker_paths(settings.kafka, settings.state_dir, settings.cache_dir)
    )


def uses_local_postgres(settings: Settings) -> bool:
    url = make_url(settings.effective_database_url)
    return (
        url.get_backend_name() == "postgresql"
        and url.host in {"127.0.0.1", "localhost"}
        and url.port == settings.postgres.port
    )


def prepare_database(settings: Settings) -> str:
    """Start the project's PostgreSQL when the URL points at it; migrate; return the URL."""
    if uses_local_postgres(settings):
        local_postgres.up(settings.postgres, settings.state_dir)
    url = settings.effective_database_url
    migrate(url)
    return url


def create_topics(settings: Settings) -> list[str]:
    kafka = settings.kafka
    spread = [(topic_name(kafka, t.name), t.compacted) for t in TOPICS if t.name != RULES]
    created = ensure_topics(kafka, spread)
    return created + ensure_topics(kafka, [(topic_name(kafka, RULES), True)], partitions=1)


def publish_default_ruleset(settings: Settings) -> bool:
    """Publish `routing_rules/default.yaml` when no ruleset was ever published; True if done."""
    topic = topic_name(settings.kafka, RULES)
    consumer = KafkaConsumer(**kafka_python_options(settings.kafka))
    try:
        partition = TopicPartition(topic, 0)
        if consumer.end_offsets([partition])[partition] > 0:
            return False
    finally:
        consumer.close()
    path = RULES_DIR / "default.yaml"
    ruleset = load_ruleset(path.read_text(), str(path)).ruleset
    producer = reliable_producer(settings.kafka, client_id="mixflow-stack")
    producer.send(topic, key=ruleset.id.encode(), value=ruleset.model_dump_json().encode())
    producer.flush()
    producer.close()
    return True


def tokens_file(settings: Settings) -> Path:
    return settings.state_dir / "stack-tokens.json"


def ensure_stack_tokens(settings: Settings, url: str) -> dict[str, str]:
    """Tokens the local stack's own tools use (demo, dashboard); created once, kept 0600."""
    path = tokens_file(settings)
    if path.exists():
        return dict(json.loads(path.read_text()))
    engine = create_engine_for(url)
    store = TokenStore(engine, settings.token_pepper.get_secret_value().encode())
    now = SystemClock().now()
    tokens = {
        role: store.create(
            DEMO_AGENCY if role == "publisher" else "MIXFLOW", role, now=now, label="local stack"
        ).token
        for role in ("admin", "publisher", "monitor", "operator")
    }
    engine.dispose()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(tokens, out, indent=2)
    return tokens
