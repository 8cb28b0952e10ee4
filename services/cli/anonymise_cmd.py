"""`mixflow anonymise`: raw agency CSV in, anonymised CloudEvents JSONL out, on the agency side.

Reads the key file, the YAML mapping and the CSV (streaming), writes events to stdout and one
line per refused row to stderr (row number, columns and fields, never values). Warns once about
columns the mapping neither reads nor drops, by name. The key is never printed or logged.
"""

import csv
import sys
from datetime import UTC, datetime
from pathlib import Path

import orjson
import typer
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from services.cli.output import err_console, fail
from services.domain.anonymise import Anonymiser, MappingError, RowError, check_mapping


def anonymise(
    raw: Path = typer.Argument(..., help="CSV file with a header row (UTF-8)."),
    key_file: Path = typer.Option(..., "--key-file", help="File holding the agency's secret key."),
    mapping_file: Path = typer.Option(..., "--mapping", help="YAML mapping of columns to fields."),
    delimiter: str = typer.Option(",", "--delimiter", help="CSV field delimiter."),
) -> None:
    """Turn RAW records into anonymised events (JSONL on stdout); exit 1 if any row is refused."""
    anonymiser = _anonymiser(key_file, mapping_file)
    now = datetime.now(UTC)
    refused = written = 0
    out = sys.stdout.buffer
    try:
        with raw.open(newline="", encoding="utf-8-sig") as stream:
            reader = csv.DictReader(stream, delimiter=delimiter)
            unmapped = anonymiser.unmapped(reader.fieldnames or [])
            if unmapped:
                err_console.print(f"warning: dropping unmapped columns: {', '.join(unmapped)}")
            for row in reader:
                try:
                    event = anonymiser.event(row, now=now)
                except RowError as error:
                    refused += 1
                    err_console.print(
                        f"row {reader.line_num}: {error}", markup=False, highlight=False
                    )
                    continue
                out.write(orjson.dumps(event, option=orjson.OPT_APPEND_NEWLINE))
                written += 1
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        fail(f"cannot read {raw}: {type(exc).__name__}", code=2)
    out.flush()
    err_console.print(f"{written} events written, {refused} rows refused")
    if refused:
        raise typer.Exit(1)


def _anonymiser(key_file: Path, mapping_file: Path) -> Anonymiser:
    try:
        key = key_file.read_bytes().strip()
    except OSError as exc:
        fail(f"cannot read the key file {key_file}: {exc.strerror}", code=2)
    try:
        document = YAML(typ="safe", pure=True).load(mapping_file.read_text("utf-8"))
    except (OSError, YAMLError) as exc:
        fail(f"cannot read the mapping {mapping_file}: {type(exc).__name__}", code=2)
    try:
        return Anonymiser(check_mapping(document), key)
    except MappingError as exc:
        fail(f"mapping {mapping_file}: {exc}", code=2)
    except ValueError as exc:  # a key too short: the message states the rule, not the key
        fail(f"key file {key_file}: {exc}", code=2)
