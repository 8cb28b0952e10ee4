"""Every API of mixflow on one PostgreSQL database, and a token of every role to call them with.

The APIs run in-process (`TestClient`); the ingest API publishes into a recording sink and the
rules API to a broker address nobody listens on, so no request of these tests reaches Kafka.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from services.adapters.db.engine import create_engine_for
from services.adapters.db.migrate import migrate
from services.adapters.db.tokens import TokenStore
from services.adapters.settings import KafkaSettings, Settings
from services.casework.api import create_api as cases_api
from services.domain.access import Role
from services.flows.api import create_api as flows_api
from services.ingest.app import create_app as ingest_api
from services.rules_admin.api import create_api as rules_api

PEPPER = "pepper-of-the-security-tests-7f3a"
AGENCY_A, AGENCY_B = "ITA-MOI", "UNHCR"
CALLERS: dict[str, tuple[str, Role] | None] = {
    "none": None,
    "publisher A": (AGENCY_A, "publisher"),
    "publisher B": (AGENCY_B, "publisher"),
    "operator": (AGENCY_B, "operator"),
    "caseworker A": (AGENCY_A, "caseworker"),
    "caseworker B": (AGENCY_B, "caseworker"),
    "monitor": (AGENCY_B, "monitor"),
    "admin": (AGENCY_B, "admin"),
}


@dataclass
class RecordingSink:
    """The ingest API's Kafka port, keeping what it was asked to publish."""

    published: list[Any] = field(default_factory=list)

    async def publish(self, events: Sequence[Any], headers: Sequence[tuple[str, bytes]]) -> None:
        self.published.extend(events)

    async def close(self) -> None:
        return None


@dataclass
class Apis:
    clients: dict[str, TestClient]
    settings: Settings
    engine: Engine
    store: TokenStore
    tokens: dict[str, str]
    """The secret token of each caller of `CALLERS` (none for "none")."""

    def headers(self, caller: str) -> dict[str, str]:
        token = self.tokens.get(caller)
        return {"Authorization": f"Bearer {token}"} if token else {}


def all_apps(settings: Settings, engine: Engine) -> dict[str, FastAPI]:
    return {
        "ingest": ingest_api(settings, engine=engine, sink=RecordingSink()),
        "cases": cases_api(settings, engine=engine),
        "flows": flows_api(settings, engine=engine),
        "rules": rules_api(settings, engine=engine),
    }


@pytest.fixture
def apis(pg_url: str) -> Iterator[Apis]:
    migrate(pg_url)
    kafka = KafkaSettings(bootstrap="127.0.0.1:1", topic_prefix="offline.")
    settings = Settings(database_url=pg_url, kafka=kafka, token_pepper=SecretStr(PEPPER))
    engine = create_engine_for(pg_url)
    store = TokenStore(engine, PEPPER.encode())
    now = datetime.now(UTC)
    tokens = {
        caller: store.create(agency, role, now=now, label=caller).token
        for caller, who in CALLERS.items()
        if who is not None
        for agency, role in [who]
    }
    clients = {name: TestClient(app) for name, app in all_apps(settings, engine).items()}
    for client in clients.values():
        client.__enter__()
    yield Apis(clients, settings, engine, store, tokens)
    for client in clients.values():
        client.__exit__(None, None, None)
    engine.dispose()
