"""The HTTP routes of the ingest API: each one parses, calls a handler, publishes, answers."""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from schemas.errors import Problem
from services.adapters.clock import Clock
from services.adapters.http.problems import ApiProblem
from services.adapters.settings import ApiSettings
from services.adapters.telemetry import TRACE_HEADERS, headers_for
from services.domain.access import Principal
from services.ingest.handlers import Accepted, accept_batch, accept_event
from services.ingest.limits import BATCH_TYPES, SINGLE_TYPES, RateLimiter, read_body
from services.ingest.limits import require_media_type as media
from services.ingest.publisher import BrokerUnavailable, EventSink


class AcceptedEvents(BaseModel):
    """The events the broker acknowledged, in request order."""

    accepted: int
    ids: list[str]


class ProblemDetails(BaseModel):
    """RFC 9457 problem details; `errors` lists each broken rule with its field path."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[Problem] | None = None


_PROBLEM = {"model": ProblemDetails, "content": {"application/problem+json": {}}}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {**_PROBLEM, "description": "Malformed JSON"},
    401: {**_PROBLEM, "description": "Missing, unknown, expired or revoked token"},
    403: {**_PROBLEM, "description": "The token may not publish, or not for this agency"},
    413: {**_PROBLEM, "description": "Body or batch larger than configured"},
    415: {**_PROBLEM, "description": "Not a JSON CloudEvent"},
    422: {**_PROBLEM, "description": "The event breaks the contract (paths and reasons)"},
    429: {**_PROBLEM, "description": "Rate limit of the token reached; see Retry-After"},
    503: {**_PROBLEM, "description": "The broker did not acknowledge; retry after Retry-After"},
}


def _body(ref: str, media_types: frozenset[str], *, array: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"$ref": f"#/components/schemas/{ref}"}
    if array:
        schema = {"type": "array", "items": schema, "minItems": 1}
    content = {media_type: {"schema": schema} for media_type in sorted(media_types)}
    return {"requestBody": {"required": True, "content": content}}


def ingest_routes(
    settings: ApiSettings,
    sink: EventSink,
    clock: Clock,
    limiter: RateLimiter,
    publisher: Callable[[Request], Principal],
) -> APIRouter:
    """The routes, wired to their ports; `publisher` is the auth dependency."""
    router = APIRouter(prefix="/v1", tags=["ingest"])

    async def publish(request: Request, principal: Principal, events: list[Accepted]) -> Any:
        limiter.check(principal.token_id, len(events))
        # The request's span when tracing is on; otherwise the caller's own context, unchanged.
        headers = list(headers_for()) or [
            (h, request.headers[h].encode()) for h in TRACE_HEADERS if h in request.headers
        ]
        try:
            await sink.publish(events, headers)
        except BrokerUnavailable:
            raise ApiProblem(
                503,
                "Broker unavailable",
                "nothing was accepted; send the same events again later",
                headers={"Retry-After": "5"},
            ) from None
        return AcceptedEvents(accepted=len(events), ids=[e.id for e in events])

    @router.post(
        "/events",
        status_code=202,
        response_model=AcceptedEvents,
        responses=ERRORS,
        openapi_extra=_body("InboundEvent", SINGLE_TYPES),
        summary="Publish one CloudEvent (structured mode)",
    )
    async def post_event(
        request: Request, principal: Principal = Depends(publisher)
    ) -> AcceptedEvents:
        media(request, SINGLE_TYPES)
        raw = await read_body(request, settings.max_request_bytes)
        event = accept_event(raw, principal, now=clock.now())
        result: AcceptedEvents = await publish(request, principal, [event])
        return result

    @router.post(
        "/events:batch",
        status_code=202,
        response_model=AcceptedEvents,
        responses=ERRORS,
        openapi_extra=_body("InboundEvent", BATCH_TYPES, array=True),
        summary="Publish a JSON array of CloudEvents: all are accepted, or none",
    )
    async def post_batch(
        request: Request, principal: Principal = Depends(publisher)
    ) -> AcceptedEvents:
        media(request, BATCH_TYPES)
        raw = await read_body(request, settings.max_request_bytes)
        events = accept_batch(raw, principal, now=clock.now(), max_events=settings.max_batch_events)
        result: AcceptedEvents = await publish(request, principal, events)
        return result

    return router
