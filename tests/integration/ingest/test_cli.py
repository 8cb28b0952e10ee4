"""`mixflow tokens`, `mixflow publish` and `mixflow deadletter` against the real broker."""

from pathlib import Path

import orjson
from typer.testing import CliRunner

from schemas.topics import DECISIONS
from services.cli import app
from tests.integration.ingest.conftest import PEPPER, RunningApi
from tests.integration.ingest.test_http_ingest import ita
from tests.integration.router.conftest import RunningRouter, generated_events, read_all

runner = CliRunner()


def env_of(api: RunningApi) -> dict[str, str]:
    kafka = api.settings.kafka
    return {
        "MIXFLOW_DATABASE_URL": api.settings.effective_database_url,
        "MIXFLOW_TOKEN_PEPPER": PEPPER,
        "MIXFLOW_KAFKA__BOOTSTRAP": kafka.bootstrap,
        "MIXFLOW_KAFKA__TOPIC_PREFIX": kafka.topic_prefix,
    }


def test_a_token_is_printed_once_listed_without_its_secret_and_revoked(
    api: RunningApi,
) -> None:
    env = env_of(api)
    created = runner.invoke(app, ["tokens", "create", "--agency", "IOM", "--role", "publisher"],
                            env=env)  # fmt: skip
    token = created.stdout.strip()
    _, token_id, secret = token.split("_", 2)  # the secret itself may contain "_"
    listed = runner.invoke(app, ["tokens", "list"], env=env)
    revoked = runner.invoke(app, ["tokens", "revoke", token_id], env=env)
    again = runner.invoke(app, ["tokens", "revoke", token_id], env=env)
    bad_role = runner.invoke(app, ["tokens", "create", "--agency", "IOM", "--role", "x"], env=env)
    assert created.exit_code == 0 and token.startswith("mxf_")
    assert token_id in listed.stdout and secret not in listed.stdout
    assert revoked.exit_code == 0 and again.exit_code == 1 and bad_role.exit_code == 2


def test_publish_reports_rejections_and_a_fixed_dead_letter_replays_into_a_decision(
    kafka_broker: str, router: RunningRouter, api: RunningApi, tmp_path: Path
) -> None:
    env = env_of(api)
    events = ita(generated_events(8, seed=71))
    broken = dict(events[7], time="not a time")
    http_file = tmp_path / "http.jsonl"
    http_file.write_bytes(b"\n".join(orjson.dumps(e) for e in [*events[:4], broken]) + b"\nnope\n")
    kafka_file = tmp_path / "kafka.jsonl"
    kafka_file.write_bytes(b"\n".join(orjson.dumps(e) for e in [*events[4:7], broken]))

    by_http = runner.invoke(app, ["publish", str(http_file), "--via", "http", "--url", api.url,
                                  "--token", api.token, "--batch-size", "3"], env=env)  # fmt: skip
    by_kafka = runner.invoke(app, ["publish", str(kafka_file), "--via", "kafka", "--mode",
                                   "binary", "--no-validate"], env=env)  # fmt: skip
    assert by_http.exit_code == 1
    assert "accepted 4 of 6 events" in by_http.stdout and "line 5: HTTP 422" in by_http.stdout
    assert by_kafka.exit_code == 0 and "accepted 4 of 4" in by_kafka.stdout

    decisions = read_all(kafka_broker, router.topic(DECISIONS), 7, timeout_s=15)
    assert len(decisions) == 7
    listed = runner.invoke(app, ["deadletter", "list"], env=env)
    assert listed.exit_code == 0 and "1 dead letter" in listed.stderr
    ref = next(word for word in listed.stdout.split() if ":" in word and word[0].isdigit())
    shown = runner.invoke(app, ["deadletter", "show", ref], env=env)
    assert orjson.loads(shown.stdout)["original_headers"]
    fixed = tmp_path / "fixed.json"
    fixed.write_bytes(orjson.dumps(events[7]))
    replayed = runner.invoke(app, ["deadletter", "replay", ref, "--file", str(fixed)], env=env)
    assert replayed.exit_code == 0, replayed.stdout
    ids = {orjson.loads(r.value)["event_id"]
           for r in read_all(kafka_broker, router.topic(DECISIONS), 8, timeout_s=15)}  # fmt: skip
    assert ids == {e["id"] for e in events}
