"""What every `mixflow serve <worker>` shares: logs, telemetry, metrics endpoint, Faust worker."""

import logging
from collections.abc import Callable

import faust

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
    worker = faust.Worker(app, loglevel=settings.log_level.lower(), quiet=True)
    worker.execute_from_commandline()
