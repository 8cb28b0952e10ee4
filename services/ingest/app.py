"""Composition root of the ingest API: settings, token store, clock, Kafka sink -> FastAPI app."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from sqlalchemy import Engine

from schemas.envelope import INBOUND_EVENT
from schemas.topics import EVENTS_INBOUND
from services.adapters.clock import Clock, SystemClock
from services.adapters.db.engine import create_engine_for
from services.adapters.http.auth import Authenticator
from services.adapters.http.problems import install_problem_handlers
from services.adapters.http.tracing import install_tracing
from services.adapters.kafka import topic_name
from services.adapters.settings import Settings
from services.adapters.telemetry import Telemetry
from services.ingest.api import ingest_routes
from services.ingest.limits import RateLimiter
from services.ingest.publisher import EventSink, KafkaEventSink
from services.ingest.tokens import CachedTokenStore

DESCRIPTION = """Agencies publish anonymised CloudEvents (PRODUCT.md §4) with a bearer token of
their agency. `202` means the broker acknowledged every event; a batch is all or nothing.
Errors are RFC 9457 problem details with the field path and reason of each broken rule."""


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    clock: Clock | None = None,
    sink: EventSink | None = None,
    telemetry: Telemetry | None = None,
) -> FastAPI:
    clock = clock or SystemClock()
    engine = engine or create_engine_for(settings.effective_database_url)
    tokens = CachedTokenStore(
        engine,
        settings.token_pepper.get_secret_value().encode(),
        ttl_s=settings.api.token_cache_s,
    )
    sink = sink or KafkaEventSink(
        settings.kafka,
        topic_name(settings.kafka, EVENTS_INBOUND),
        timeout_s=settings.api.publish_timeout_s,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await sink.close()

    app = FastAPI(
        title="mixflow ingest API",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        # `install_tracing` makes the request's SERVER span (continuing the publisher's trace,
        # named by route); FastAPI's own would be a second span for the same request.
        telemetry={"tracing": False},
    )
    install_problem_handlers(app)
    if telemetry is not None:
        install_tracing(app, telemetry)
    limiter = RateLimiter(settings.api.ingest_rate_per_s, settings.api.ingest_burst)
    publisher = Authenticator(tokens, clock).allow("publish_events")
    app.include_router(ingest_routes(settings.api, sink, clock, limiter, publisher))

    @app.get("/healthz", tags=["health"], summary="Liveness")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus the event contract, which the routes read as raw bytes."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        contract = INBOUND_EVENT.json_schema(ref_template="#/components/schemas/{model}")
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(contract.pop("$defs", {}))
        schemas["InboundEvent"] = contract
        app.openapi_schema = document
    return app.openapi_schema
