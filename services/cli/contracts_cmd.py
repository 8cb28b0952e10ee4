"""`mixflow schemas export [--check]` and `mixflow validate FILE.jsonl`: the published contracts.

`export` writes what `schemas.catalog.render()` generates under the `schemas/` package; `--check`
writes nothing and exits 1 when the files on disk differ. `validate` streams a JSONL file of
structured CloudEvents line by line (constant memory) and reports each bad line once.
"""

import sys
from datetime import UTC, datetime
from pathlib import Path

import typer

import schemas
from schemas import catalog
from schemas.envelope import parse_structured
from schemas.errors import ContractError
from services.cli.output import fail

SCHEMAS_DIR = Path(schemas.__file__).parent

app = typer.Typer(
    help="Publish the event contracts: JSON Schema and AsyncAPI.", no_args_is_help=True
)


@app.command("export")
def export(
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 if files differ."),
    directory: Path = typer.Option(SCHEMAS_DIR, "--dir", help="The `schemas/` directory."),
) -> None:
    """Generate `json/*.schema.json` and `asyncapi.yaml` from the models."""
    changed = differing_files(directory)
    if check:
        for name in changed:
            typer.echo(f"differs: {name}")
        if changed:
            fail(f"{len(changed)} generated file(s) out of date; run `mixflow schemas export`")
        typer.echo("contracts up to date")
        return
    write_files(directory)
    typer.echo(f"wrote {len(catalog.render())} files under {directory} ({len(changed)} changed)")


def differing_files(directory: Path) -> list[str]:
    """Generated files missing or different on disk, and stale generated files left over."""
    expected = catalog.render()
    changed = [
        name
        for name, text in expected.items()
        if not (directory / name).is_file() or (directory / name).read_text("utf-8") != text
    ]
    stale = [
        f"json/{path.name}"
        for path in sorted((directory / "json").glob("*.schema.json"))
        if f"json/{path.name}" not in expected
    ]
    return changed + stale


def write_files(directory: Path) -> None:
    expected = catalog.render()
    (directory / "json").mkdir(parents=True, exist_ok=True)
    for path in (directory / "json").glob("*.schema.json"):
        if f"json/{path.name}" not in expected:
            path.unlink()
    for name, text in expected.items():
        target = directory / name
        if not target.is_file() or target.read_text("utf-8") != text:
            target.write_text(text, "utf-8")


def validate(
    file: Path = typer.Argument(..., help="JSONL file, one structured CloudEvent per line."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the summary."),
) -> None:
    """Check every line of FILE against the event contract; exit 1 if any line fails."""
    now = datetime.now(UTC)
    lines = bad = 0
    out = sys.stdout
    try:
        with file.open("rb") as stream:
            for number, line in enumerate(stream, start=1):
                line = line.rstrip(b"\r\n")
                if not line.strip():
                    continue  # blank lines (a trailing newline, spacing) are not events
                lines += 1
                try:
                    parse_structured(line, now=now)
                except ContractError as error:
                    bad += 1
                    if not quiet:
                        out.writelines(
                            f"{file}:{number}: {p.path or '$'}: {p.reason}\n"
                            for p in error.problems
                        )
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}", code=2)
    out.write(f"{lines} events, {lines - bad} valid, {bad} invalid\n")
    out.flush()
    if bad:
        raise typer.Exit(1)
