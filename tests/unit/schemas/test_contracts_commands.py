"""`mixflow validate` and `mixflow schemas export --check`, through the CLI."""

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from services.cli import app
from tests.unit.schemas.examples import arrival, set_path

pytestmark = pytest.mark.unit
runner = CliRunner()


def test_validate_reports_each_bad_line_with_number_path_and_reason(tmp_path: Path) -> None:
    good = orjson.dumps(set_path(arrival(), "time", "2025-01-01T00:00:00Z"))
    leaked = orjson.dumps(set_path(orjson.loads(good), "data.person_ref", "amal@example.org"))
    file = tmp_path / "events.jsonl"
    file.write_bytes(b"\n".join([good, b"", b'{"specversion": "1.0"', leaked, good]) + b"\n")
    result = runner.invoke(app, ["validate", str(file)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert f"{file}:3: $: malformed JSON" in lines[0]
    assert (
        lines[1] == f"{file}:4: data.person_ref: looks like an e-mail address (direct identifier)"
    )
    assert lines[-1] == "4 events, 2 valid, 2 invalid"
    assert "amal" not in result.stdout


def test_validate_exits_zero_when_every_line_is_valid(tmp_path: Path) -> None:
    file = tmp_path / "events.jsonl"
    file.write_bytes(orjson.dumps(set_path(arrival(), "time", "2025-01-01T00:00:00Z")) + b"\n")
    result = runner.invoke(app, ["validate", str(file)])
    assert (result.exit_code, result.stdout) == (0, "1 events, 1 valid, 0 invalid\n")


def test_validate_a_missing_file_is_one_clean_error_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_schemas_export_check_fails_on_a_stale_directory_and_passes_after_export(
    tmp_path: Path,
) -> None:
    assert (
        runner.invoke(app, ["schemas", "export", "--check", "--dir", str(tmp_path)]).exit_code == 1
    )
    assert runner.invoke(app, ["schemas", "export", "--dir", str(tmp_path)]).exit_code == 0
    result = runner.invoke(app, ["schemas", "export", "--check", "--dir", str(tmp_path)])
    assert (result.exit_code, result.stdout) == (0, "contracts up to date\n")
