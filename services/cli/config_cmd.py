"""`mixflow config`: print the effective configuration, secrets masked."""

import json

import typer

from services.cli.output import load_settings


def show_config(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of KEY=value lines."),
) -> None:
    """Print the effective configuration (environment `MIXFLOW_*` over defaults), secrets masked."""
    data = load_settings().masked()
    if as_json:
        typer.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    for key, value in _flatten("MIXFLOW", data):
        typer.echo(f"{key}={'' if value is None else value}")


def _flatten(prefix: str, data: dict[str, object]) -> list[tuple[str, object]]:
    rows: list[tuple[str, object]] = []
    for key, value in sorted(data.items()):
        name = f"{prefix}_{key.upper()}" if prefix == "MIXFLOW" else f"{prefix}__{key.upper()}"
        if isinstance(value, dict):
            rows.extend(_flatten(name, value))
        else:
            rows.append((name, value))
    return rows
