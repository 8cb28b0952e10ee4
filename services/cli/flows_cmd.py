"""`mixflow serve flows` and `mixflow serve flows-api`: the flows service and its HTTP API."""

import logging

from services.cli.output import load_settings


def serve_flows() -> None:
    """Count decisions and case changes into windowed flow cells (under a Faust worker)."""
    from services.cli.worker_cmd import run_worker
    from services.flows.app import create_faust_app

    run_worker(load_settings(), "flows", lambda s, t: create_faust_app(s, telemetry=t))


def serve_flows_api() -> None:
    """Serve suppressed flow tables, indicators, HXL CSV and the dashboard to monitors."""
    import uvicorn

    from services.flows.api import create_api

    settings = load_settings()
    logging.basicConfig(level=settings.log_level)
    uvicorn.run(
        create_api(settings),
        host=settings.api.host,
        port=settings.api.flows_port,
        log_level=settings.log_level.lower(),
    )
