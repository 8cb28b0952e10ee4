"""Session fixtures that give tests the real Apache Kafka broker and PostgreSQL.

Both are started by the project's own code (`services.adapters.local_kafka` / `local_postgres`)
or reused when already running; whatever a session started it also stops. Each test gets its
own topics (`topic_factory`) and its own database (`pg_url`), so tests never see each other's data.
"""

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from services.adapters import local_kafka, local_postgres
from services.adapters.settings import KafkaSettings, PostgresSettings

# Property tests are derandomised (seeded from each test's name) and have no per-example
# deadline: CI shares a 2-core machine with a broker and a database, and a slow example there
# says nothing about correctness. `MIXFLOW_RELIABILITY_ROUNDS` widens the fuzzing suites.
hypothesis_settings.register_profile("mixflow", deadline=None, derandomize=True, print_blob=True)
hypothesis_settings.load_profile("mixflow")

REPO = Path(__file__).resolve().parents[1]
TEST_STATE = Path(os.environ.get("MIXFLOW_TEST_STATE_DIR", REPO / ".state" / "test"))
CACHE_DIR = Path(os.environ.get("MIXFLOW_CACHE_DIR", Path.home() / ".cache" / "mixflow"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by their folder so `-m unit` and `-m integration` select the right layers."""
    for item in items:
        parts = Path(str(item.fspath)).relative_to(REPO / "tests").parts
        if parts and parts[0] in {"unit", "integration", "e2e", "reliability"}:
            item.add_marker(getattr(pytest.mark, parts[0]))


@pytest.fixture(scope="session")
def kafka_settings() -> KafkaSettings:
    # Tests use their own ports so that a developer's running broker is never touched.
    return KafkaSettings(
        bootstrap=os.environ.get("MIXFLOW_TEST_KAFKA_BOOTSTRAP", "127.0.0.1:19092"),
        controller_port=int(os.environ.get("MIXFLOW_TEST_KAFKA_CONTROLLER_PORT", "19093")),
        partitions=1,
    )


@pytest.fixture(scope="session")
def kafka_broker(kafka_settings: KafkaSettings) -> Iterator[str]:
    """The bootstrap address of a running broker, started for this session if needed."""
    paths = local_kafka.broker_paths(kafka_settings, TEST_STATE, CACHE_DIR)
    if not local_kafka.status(kafka_settings, paths)["running"]:
        # Tests give every case its own topics and never read an earlier session's. Kept, they
        # piled up (thousands of partitions) until the broker took over a minute to start.
        shutil.rmtree(paths.data, ignore_errors=True)
    _, started = local_kafka.up(kafka_settings, paths)
    yield kafka_settings.bootstrap
    if started:
        local_kafka.down(paths)


@pytest.fixture(scope="session")
def kafka_admin(kafka_broker: str) -> Iterator[KafkaAdminClient]:
    admin = KafkaAdminClient(bootstrap_servers=kafka_broker, client_id="mixflow-tests")
    yield admin
    admin.close()


TopicFactory = Callable[..., str]


@pytest.fixture
def topic_factory(kafka_admin: KafkaAdminClient) -> Iterator[TopicFactory]:
    """Create uniquely named topics for one test and delete them afterwards."""
    created: list[str] = []

    def create(prefix: str = "t", partitions: int = 1, compacted: bool = False) -> str:
        name = f"{prefix}.{uuid.uuid4().hex[:12]}"
        configs = {"cleanup.policy": "compact"} if compacted else {}
        kafka_admin.create_topics(
            [NewTopic(name, num_partitions=partitions, replication_factor=1, topic_configs=configs)]
        )
        created.append(name)
        return name

    yield create
    if created:
        kafka_admin.delete_topics(created)


@pytest.fixture(scope="session")
def pg_settings() -> PostgresSettings:
    return PostgresSettings(port=int(os.environ.get("MIXFLOW_TEST_PG_PORT", "55432")))


@pytest.fixture(scope="session")
def pg_server(pg_settings: PostgresSettings) -> Iterator[PostgresSettings]:
    """A running PostgreSQL cluster of this project, started for this session if needed."""
    started = local_postgres.up(pg_settings, TEST_STATE)
    yield pg_settings
    if started:
        local_postgres.down(pg_settings, TEST_STATE)


@pytest.fixture
def pg_url(pg_server: PostgresSettings) -> Iterator[str]:
    """The SQLAlchemy URL of a fresh, empty database that is dropped after the test."""
    with local_postgres.scratch_database(pg_server, "t") as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'mixflow.db'}"
