"""`mixflow rules publish routing_rules/` for teams that keep rules in git, and the CLI."""

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from schemas.rules import Ruleset
from schemas.topics import RULES
from services.adapters.db.migrate import migrate
from services.adapters.kafka import ensure_topics, topic_name
from services.adapters.settings import KafkaSettings
from services.cli import app
from tests.integration.router.conftest import generated_events, read_all
from tests.unit.ruleset_admin.variants import DEFAULT_YAML, without_rule


@pytest.fixture
def cli(kafka_broker: str, sqlite_url: str, topic_factory) -> tuple[CliRunner, dict[str, str], str]:  # type: ignore[no-untyped-def]
    prefix = topic_factory("rulesadmin") + "."
    kafka = KafkaSettings(bootstrap=kafka_broker, topic_prefix=prefix)
    ensure_topics(kafka, [(topic_name(kafka, RULES), True)], partitions=1)
    migrate(sqlite_url)
    env = {
        "MIXFLOW_DATABASE_URL": sqlite_url,
        "MIXFLOW_KAFKA__BOOTSTRAP": kafka_broker,
        "MIXFLOW_KAFKA__TOPIC_PREFIX": prefix,
    }
    return CliRunner(), env, topic_name(kafka, RULES)


def _folder(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "routing_rules"
    folder.mkdir(exist_ok=True)
    (folder / "default.yaml").write_text(text)
    return folder


def test_the_gitops_path_refuses_a_failing_ruleset_and_publishes_a_reviewed_one_once(
    cli,
    kafka_broker: str,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    runner, env, rules_topic = cli
    broken = _folder(tmp_path, without_rule(DEFAULT_YAML, "asylum-access"))
    refused = runner.invoke(
        app, ["rules", "publish", str(broken), "-m", "x", "--as", "ci"], env=env
    )
    assert refused.exit_code == 1
    assert "default.yaml:" in refused.output and "nothing published" in refused.output

    folder = _folder(tmp_path, without_rule(DEFAULT_YAML, "skills-recognition"))
    args = ["rules", "publish", str(folder), "-m", "merge !42", "--as", "ci"]
    alone = runner.invoke(app, args, env=env)
    assert alone.exit_code == 1 and "four-eyes" in alone.output

    done = runner.invoke(app, [*args, "--approved-by", "reviewer"], env=env)
    assert done.exit_code == 0, done.output
    assert "published default v2" in done.output
    again = runner.invoke(app, [*args, "--approved-by", "reviewer"], env=env)
    assert again.exit_code == 0 and "unchanged" in again.output

    (record,) = read_all(kafka_broker, rules_topic, 1, timeout_s=10)
    published = Ruleset.model_validate_json(record.value)
    assert record.key == b"default" and published.version == 2
    assert "skills-recognition" not in {rule.id for rule in published.rules}

    history = runner.invoke(app, ["rules", "history", "default"], env=env)
    assert "v2" in history.output and "active" in history.output
    audit = runner.invoke(app, ["rules", "audit", "--ruleset", "default"], env=env).output
    assert audit.count("rules.publish.refused") == 2 and audit.count("rules.publish ") == 1
    assert '"channel":"gitops"' in audit and '"approved_by":"reviewer"' in audit


def test_a_ruleset_file_is_simulated_on_a_jsonl_sample_with_a_report(
    cli,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    runner, env, _ = cli
    events = tmp_path / "sample.jsonl"
    events.write_bytes(b"\n".join(orjson.dumps(e) for e in generated_events(500, seed=5)) + b"\n")
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(without_rule(DEFAULT_YAML, "gbv-risk"))
    result = runner.invoke(
        app,
        ["rules", "simulate", "--file", str(candidate), "--events", str(events), "--json"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout[result.stdout.index("{") :])
    assert report["events"] + report["skipped"] == 500
    assert [p["pathway"] for p in report["pathways"] if p["lost"]] == ["GBV_SUPPORT"]
