"""`mixflow db up | down | status`: the project's own PostgreSQL cluster on 127.0.0.1."""

import json

import typer

from services.adapters import local_postgres
from services.cli.output import fail, load_settings

app = typer.Typer(
    help="Run the project's PostgreSQL (Debian packages) and manage the schema.",
    no_args_is_help=True,
)


@app.command()
def up() -> None:
    """Install PostgreSQL if missing (apt), create the cluster, role and database, start it."""
    settings = load_settings()
    try:
        started = local_postgres.up(settings.postgres, settings.state_dir)
    except local_postgres.PostgresError as exc:
        fail(str(exc))
    verb = "started" if started else "already running"
    typer.echo(f"postgresql {verb} on {settings.postgres.host}:{settings.postgres.port}")
    typer.echo(f"MIXFLOW_DATABASE_URL={local_postgres.masked_url(settings.postgres)}")


@app.command()
def down() -> None:
    """Stop the project's PostgreSQL cluster (data is kept)."""
    settings = load_settings()
    stopped = local_postgres.down(settings.postgres, settings.state_dir)
    typer.echo("postgresql stopped" if stopped else "postgresql was not running")


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show whether the cluster runs; exit 1 if it does not."""
    settings = load_settings()
    info = local_postgres.status(settings.postgres, settings.state_dir)
    typer.echo(
        json.dumps(info, indent=2) if as_json else "\n".join(f"{k:10} {v}" for k, v in info.items())
    )
    if not info["running"]:
        raise typer.Exit(1)
