"""`mixflow serve flows` and `mixflow serve flows-api`: the flows service and its HTTP API."""

from services.cli.output import load_settings


def serve_flows() -> None:
    """Count decisions and case changes into windowed flow cells (under a Faust worker)."""
    from services.cli.worker_cmd import run_worker
    from services.flows.app import create_faust_app

    run_worker(load_settings(), "flows", lambda s, t: create_faust_app(s, telemetry=t))


def serve_flows_api() -> None:
    """Serve suppressed flow tables, indicators, HXL CSV and the dashboard to monitors."""
    from services.cli.worker_cmd import run_api
    from services.flows.api import create_api

    settings = load_settings()
    run_api(
        settings,
        "flows-api",
        lambda s, _t: create_api(s),
        host=settings.api.host,
        port=settings.api.flows_port,
    )
