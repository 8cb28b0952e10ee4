"""`mixflow serve <service>`: run one service in the foreground (what `mixflow up` starts)."""

import logging

import typer

from services.cli.output import load_settings

app = typer.Typer(help="Run one mixflow service in the foreground.", no_args_is_help=True)


@app.command("router")
def router() -> None:
    """Validate inbound events and route them to pathways (a Faust worker)."""
    import faust

    from services.router.app import create_faust_app

    settings = load_settings()
    logging.basicConfig(level=settings.log_level)
    worker = faust.Worker(
        create_faust_app(settings), loglevel=settings.log_level.lower(), quiet=True
    )
    worker.execute_from_commandline()
