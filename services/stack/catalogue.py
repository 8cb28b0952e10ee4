"""The services of the stack: command, readiness check and what a user connects to."""

from functools import partial

from services.adapters.settings import Settings
from services.stack.readiness import group_ready, http_ready
from services.stack.supervisor import ServiceSpec


def service_specs(settings: Settings) -> list[ServiceSpec]:
    """Every service, in start order: stream processors first, then the HTTP APIs."""
    kafka, api, prefix = settings.kafka, settings.api, settings.kafka.topic_prefix

    def worker(name: str, group: str) -> ServiceSpec:
        return ServiceSpec(name, ("serve", name), partial(group_ready, kafka, f"{prefix}{group}"))

    def http(name: str, port: int, note: str) -> ServiceSpec:
        base = f"http://{api.host}:{port}"
        return ServiceSpec(
            name,
            ("serve", name),
            partial(http_ready, f"{base}/openapi.json"),
            endpoint=f"{base}{note}",
        )

    return [
        worker("router", "mixflow-router"),
        worker("casework", "mixflow-casework"),
        worker("flows", "mixflow-flows"),
        http("ingest", api.ingest_port, "/docs"),
        http("cases-api", api.cases_port, "/docs"),
        http("flows-api", api.flows_port, "/dashboard"),
        http("rules-api", api.rules_port, "/docs"),
    ]
