"""The rules API on a migrated database, with operators' and other roles' tokens."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from services.adapters.db.engine import create_engine_for
from services.adapters.db.migrate import migrate
from services.adapters.db.tokens import TokenStore
from services.adapters.settings import KafkaSettings, Settings
from services.domain.access import Role
from services.rules_admin.api import create_api
from tests.integration.router.conftest import RunningRouter, router  # noqa: F401

ROLES: tuple[tuple[str, Role], ...] = (
    ("ana", "operator"),
    ("ben", "operator"),
    ("caseworker", "caseworker"),
    ("monitor", "monitor"),
    ("publisher", "publisher"),
)


@dataclass
class RulesApi:
    client: TestClient
    engine: Engine
    settings: Settings
    headers: dict[str, dict[str, str]]

    def as_(self, who: str) -> dict[str, str]:
        return self.headers[who]


def _api(settings: Settings) -> Iterator[RulesApi]:
    url = settings.effective_database_url
    migrate(url)
    engine = create_engine_for(url)
    tokens = TokenStore(engine, settings.token_pepper.get_secret_value().encode())
    now = datetime.now(UTC)
    headers = {
        who: {"Authorization": f"Bearer {tokens.create('UNHCR', role, now=now, label=who).token}"}
        for who, role in ROLES
    }
    with TestClient(create_api(settings, engine=engine)) as client:
        yield RulesApi(client, engine, settings, headers)
    engine.dispose()


@pytest.fixture
def rules_api(pg_url: str, router: RunningRouter) -> Iterator[RulesApi]:  # noqa: F811
    """The API on PostgreSQL, publishing to the topics the in-process router follows."""
    yield from _api(router.settings.model_copy(update={"database_url": pg_url}))


@pytest.fixture
def offline_rules_api(sqlite_url: str) -> Iterator[RulesApi]:
    """The API on SQLite with no broker behind it (for requests that never reach Kafka)."""
    kafka = KafkaSettings(bootstrap="127.0.0.1:1", topic_prefix="offline.")
    yield from _api(Settings(database_url=sqlite_url, kafka=kafka))
