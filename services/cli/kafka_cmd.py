"""`mixflow kafka up | down | status | logs`: the local single-node broker."""

import json

import typer

from services.adapters import local_kafka
from services.adapters.processes import tail
from services.adapters.settings import KafkaSettings
from services.cli.output import fail, load_settings

app = typer.Typer(
    help="Run the local Apache Kafka broker (KRaft, single node, 127.0.0.1).", no_args_is_help=True
)


def _paths() -> tuple[KafkaSettings, local_kafka.BrokerPaths]:
    settings = load_settings()
    return settings.kafka, local_kafka.broker_paths(
        settings.kafka, settings.state_dir, settings.cache_dir
    )


@app.command()
def up() -> None:
    """Fetch the broker's jars if needed, format storage, start the broker and wait for it."""
    kafka, paths = _paths()
    try:
        pid, started = local_kafka.up(kafka, paths)
    except local_kafka.BrokerError as exc:
        fail(str(exc))
    verb = "started" if started else "already running,"
    typer.echo(
        f"kafka {kafka.version} {verb} pid {pid} on {kafka.bootstrap} (log: {paths.server_log})"
    )


@app.command()
def down() -> None:
    """Stop the broker this project started (data is kept)."""
    _, paths = _paths()
    stopped = local_kafka.down(paths)
    typer.echo("kafka stopped" if stopped else "kafka was not running")


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show whether the broker runs and serves metadata; exit 1 if it does not."""
    kafka, paths = _paths()
    info = local_kafka.status(kafka, paths)
    if as_json:
        typer.echo(json.dumps(info, indent=2))
    else:
        for key, value in info.items():
            typer.echo(f"{key:10} {value}")
    if not info["serving"]:
        raise typer.Exit(1)


@app.command()
def logs(lines: int = typer.Option(50, "--lines", "-n", min=1, help="How many lines.")) -> None:
    """Print the last lines of the broker's log."""
    _, paths = _paths()
    typer.echo(tail(paths.server_log, lines) or f"no log yet at {paths.server_log}")
