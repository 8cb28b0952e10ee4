"""What every `mixflow serve <worker>` shares: logs, telemetry, metrics endpoint, Faust worker."""

import logging
from collections.abc import Callable

import faust
from fastapi import FastAPI

from services.adapters.settings import Settings
from services.adapters.telemetry import Telemetry, serve_metrics, setup_logging, setup_telemetry

METRICS_OFFSET = {"router": 0, "casework": 1, "flows": 2}
log = logging.getLogger(__name__)


def run_worker(
    settings: Settings, name: str, build: Callable[[Settings, Telemetry], faust.App]
) -> None:
    handler = setup_logging(settings.log_level)
    telemetry = setup_telemetry(settings.telemetry, name)
    base = settings.telemetry.metrics_port_base
    if base:
        try:
            serve_metrics(base + METRICS_OFFSET[name])
        except OSError:
            # Another worker of the same service on this host serves it already.
            log.warning("metrics port %s is taken; this worker serves no metrics", base)
    app = build(settings, telemetry)
    app.conf.loghandlers = [handler]  # the worker installs the app's handlers when it starts
    # Only the JSON handler: no second, coloured copy of each line from the worker's defaults.
    only_json = {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": settings.log_level, "handlers": []},
    }
    worker = faust.Worker(
        app, loglevel=settings.log_level.lower(), quiet=True, logging_config=only_json
    )
    # Faust's terminal spinner, enabled at WARNING and above, lowers the root logger to DEBUG
    # and writes cursor escapes into the log stream: a worker's output is JSON logs only.
    worker.spinner = None
    worker.execute_from_commandline()


def run_api(
    settings: Settings,
    name: str,
    build: Callable[[Settings, Telemetry], FastAPI],
    *,
    host: str,
    port: int,
    needs_broker: bool = False,
) -> None:
    """Serve one API with JSON logs, tracing, `/metrics` and `/healthz/live|ready`."""
    import uvicorn
    from prometheus_client import make_asgi_app

    from services.adapters.db.engine import create_engine_for
    from services.adapters.http.health import broker_check, database_check, health_router

    setup_logging(settings.log_level)
    telemetry = setup_telemetry(settings.telemetry, name)
    app = build(settings, telemetry)
    checks = {"database": database_check(create_engine_for(settings.effective_database_url))}
    if needs_broker:
        checks["broker"] = broker_check(settings.kafka)
    app.include_router(health_router(checks))
    app.mount("/metrics", make_asgi_app())
    uvicorn.run(app, host=host, port=port, log_config=None, log_level=settings.log_level.lower())
