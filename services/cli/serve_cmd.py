"""`mixflow serve <service>`: run one service in the foreground (what `mixflow up` starts)."""

import typer

from services.cli.output import load_settings

app = typer.Typer(help="Run one mixflow service in the foreground.", no_args_is_help=True)


@app.command("router")
def router() -> None:
    """Validate inbound events and route them to pathways (a Faust worker)."""
    from services.cli.worker_cmd import run_worker
    from services.router.app import create_faust_app

    run_worker(load_settings(), "router", lambda s, t: create_faust_app(s, telemetry=t))
