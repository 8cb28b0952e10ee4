"""`mixflow serve ingest`: the HTTP ingest API in the foreground (uvicorn)."""

import typer

from services.cli.output import load_settings


def serve_ingest(
    host: str | None = typer.Option(None, help="Bind address (default: MIXFLOW_API__HOST)."),
    port: int | None = typer.Option(None, help="Port (default: MIXFLOW_API__INGEST_PORT)."),
) -> None:
    """Accept CloudEvents over HTTP and produce them to the inbound topic (OpenAPI at /docs)."""
    from services.cli.worker_cmd import run_api
    from services.ingest.app import create_app

    settings = load_settings()
    run_api(
        settings,
        "ingest",
        lambda s, t: create_app(s, telemetry=t),
        host=host or settings.api.host,
        port=port or settings.api.ingest_port,
        needs_broker=True,
    )
