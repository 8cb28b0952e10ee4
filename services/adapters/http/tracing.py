"""A SERVER span around every API request, continuing the caller's trace if it sent one.

Span names use the route template (`POST /v1/events`), never the concrete path, which could
carry an id; no request body or query value becomes an attribute.
"""

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from opentelemetry import context as otel_context
from opentelemetry.propagate import extract
from opentelemetry.trace import SpanKind, Status, StatusCode

from services.adapters.telemetry import TRACE_HEADERS, Telemetry


def install_tracing(app: FastAPI, telemetry: Telemetry) -> None:
    if not telemetry.tracing:
        return
    tracer = telemetry.tracer

    @app.middleware("http")
    async def trace_request(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.scope.get("mixflow.traced"):  # one span per request, however it is mounted
            return await call_next(request)
        request.scope["mixflow.traced"] = True
        carrier = {h: request.headers[h] for h in TRACE_HEADERS if h in request.headers}
        token = otel_context.attach(extract(carrier) if carrier else otel_context.get_current())
        try:
            with tracer.start_as_current_span(
                request.method,  # renamed to the route template once routing has matched
                kind=SpanKind.SERVER,
                attributes={"http.request.method": request.method},
            ) as span:
                response = await call_next(request)
                route = request.scope.get("route")
                if route is not None:
                    span.update_name(f"{request.method} {getattr(route, 'path', '')}")
                span.set_attribute("http.response.status_code", response.status_code)
                if response.status_code >= 500:
                    span.set_status(Status(StatusCode.ERROR))
                return response
        finally:
            otel_context.detach(token)
