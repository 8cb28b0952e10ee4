"""Kafka clients configured from settings, and the topics mixflow needs.

Every producer and consumer of every service gets its connection and security options here, so a
deployment switches to SASL/TLS by configuration alone. Producers are idempotent with `acks=all`:
an acknowledged event is on the broker and a retried send never duplicates it.
"""

import ssl
from collections.abc import Iterable
from typing import Any

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from services.adapters.settings import KafkaSettings


def security_options(settings: KafkaSettings) -> dict[str, Any]:
    """Options shared by kafka-python and aiokafka (they use the same names)."""
    options: dict[str, Any] = {"security_protocol": settings.security_protocol}
    if settings.sasl_mechanism:
        options["sasl_mechanism"] = settings.sasl_mechanism
        options["sasl_plain_username"] = settings.sasl_username
        if settings.sasl_password is not None:
            options["sasl_plain_password"] = settings.sasl_password.get_secret_value()
    return options


def ssl_context(settings: KafkaSettings) -> ssl.SSLContext | None:
    if "SSL" not in settings.security_protocol:
        return None
    return ssl.create_default_context(
        cafile=str(settings.ssl_cafile) if settings.ssl_cafile else None
    )


def aiokafka_options(settings: KafkaSettings) -> dict[str, Any]:
    options = {"bootstrap_servers": settings.bootstrap, **security_options(settings)}
    context = ssl_context(settings)
    if context is not None:
        options["ssl_context"] = context
    return options


def kafka_python_options(settings: KafkaSettings) -> dict[str, Any]:
    options = {"bootstrap_servers": settings.bootstrap, **security_options(settings)}
    if settings.ssl_cafile:
        options["ssl_cafile"] = str(settings.ssl_cafile)
    return options


def reliable_producer(settings: KafkaSettings, *, client_id: str, **extra: Any) -> KafkaProducer:
    """A kafka-python producer that never loses an acknowledged record nor duplicates a retry."""
    return KafkaProducer(
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        **{**kafka_python_options(settings), **extra},
    )


def topic_name(settings: KafkaSettings, canonical: str) -> str:
    """The deployed name of a topic of `schemas.topics`: the configured prefix + its name."""
    return f"{settings.topic_prefix}{canonical}"


def ensure_topics(
    settings: KafkaSettings, topics: Iterable[tuple[str, bool]], *, partitions: int | None = None
) -> list[str]:
    """Create the (name, compacted) topics that are missing; return the names created."""
    admin = KafkaAdminClient(client_id="mixflow-admin", **kafka_python_options(settings))
    try:
        existing = set(admin.list_topics())
        wanted = [
            NewTopic(
                name,
                num_partitions=partitions or settings.partitions,
                replication_factor=1,
                topic_configs={"cleanup.policy": "compact"} if compacted else {},
            )
            for name, compacted in topics
            if name not in existing
        ]
        created: list[str] = []
        for topic in wanted:
            try:
                admin.create_topics([topic])
                created.append(topic.name)
            except TopicAlreadyExistsError:
                continue
        return created
    finally:
        admin.close()
