"""The ingest API served over real HTTP (uvicorn in a thread) in front of a running router."""

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn

from schemas.topics import EVENTS_INBOUND
from services.adapters.db.engine import create_engine_for
from services.adapters.db.migrate import migrate
from services.adapters.db.tokens import TokenStore
from services.adapters.settings import Settings
from services.ingest.app import create_app
from services.router.app import RouterService
from tests.integration.router.conftest import RunningRouter, router  # noqa: F401 - fixture

PEPPER = "pepper-for-ingest-tests"


@dataclass
class RunningApi:
    url: str
    settings: Settings
    store: TokenStore
    token: str
    """A publisher token of ITA-MOI."""

    def client(self, token: str | None = None) -> httpx.Client:
        bearer = {"Authorization": f"Bearer {token or self.token}"}
        return httpx.Client(base_url=self.url, headers=bearer, timeout=30)

    def issue(self, agency: str = "ITA-MOI", role: str = "publisher") -> str:
        return self.store.create(agency, role, now=datetime.now(UTC)).token  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    server: uvicorn.Server
    thread: threading.Thread
    url: str

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def serve(settings: Settings) -> Served:
    """Run the ingest app of `settings` on a free local port until `stop()`."""
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    return Served(server, thread, f"http://127.0.0.1:{port}")


def api_settings(base: Settings, tmp_path: Path, **api: object) -> Settings:
    url = f"sqlite:///{tmp_path / 'ingest.db'}"
    migrate(url)
    return base.model_copy(
        update={
            "database_url": url,
            "token_pepper": base.token_pepper.__class__(PEPPER),
            "api": base.api.model_copy(update=api),
        }
    )


def token_store(settings: Settings) -> TokenStore:
    return TokenStore(create_engine_for(settings.effective_database_url), PEPPER.encode())


@pytest.fixture
def api(router: RunningRouter, tmp_path: Path) -> Iterator[RunningApi]:  # noqa: F811
    settings = api_settings(router.settings, tmp_path, max_request_bytes=64 * 1024,
                            max_batch_events=50, token_cache_s=0.5)  # fmt: skip
    store = token_store(settings)
    served = serve(settings)
    token = store.create("ITA-MOI", "publisher", now=datetime.now(UTC)).token
    yield RunningApi(served.url, settings, store, token)
    served.stop()


@dataclass
class RouterThread:
    service: RouterService
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.service.stop)
        self.thread.join(timeout=30)


def start_router(settings: Settings) -> RouterThread:
    """Another router process (same group and topics as `settings`), in a thread."""
    service = RouterService(settings)
    loop = asyncio.new_event_loop()
    task = loop.create_task(service.run())
    thread = threading.Thread(target=loop.run_until_complete, args=(task,), daemon=True)
    thread.start()
    return RouterThread(service, loop, thread)


def inbound(settings: Settings) -> str:
    from services.adapters.kafka import topic_name

    return topic_name(settings.kafka, EVENTS_INBOUND)


def prefixed_settings(bootstrap: str) -> Settings:
    """Settings whose topics (created here) no other test uses."""
    import uuid

    from schemas.topics import DECISIONS, EVENTS_DEADLETTER, REFERRAL_UPDATES, RULES
    from services.adapters.kafka import ensure_topics, topic_name
    from services.adapters.settings import KafkaSettings

    kafka = KafkaSettings(
        bootstrap=bootstrap, partitions=2, topic_prefix=f"i{uuid.uuid4().hex[:8]}."
    )
    names = (EVENTS_INBOUND, DECISIONS, EVENTS_DEADLETTER, REFERRAL_UPDATES)
    ensure_topics(kafka, [(topic_name(kafka, t), False) for t in names])
    ensure_topics(kafka, [(topic_name(kafka, RULES), True)], partitions=1)
    return Settings(kafka=kafka)


def settle(service: RouterService, consumed: int, timeout_s: float = 20) -> None:
    """Wait until the router has consumed (and committed) `consumed` inbound records."""
    deadline = time.monotonic() + timeout_s
    while service.loop.stats.consumed < consumed and time.monotonic() < deadline:
        time.sleep(0.05)
