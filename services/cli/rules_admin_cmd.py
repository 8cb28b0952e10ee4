"""`mixflow rules draft|history|diff|simulate|approve|publish|rollback|audit` and `serve rules-api`.

These commands talk to the database and the broker directly (as the rules API does), so they
are for operators with database credentials: the shell of a deployment, or the CI job of a
team that keeps rules in git (`mixflow rules publish routing_rules/`). Who acts is `--as`
(default: the login name); every action is audited with this host's name as its origin.
"""

import getpass
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from schemas.rules import Finding
from services.adapters.clock import SystemClock
from services.adapters.db.engine import create_engine_for
from services.adapters.db.migrate import current_revision, head_revision
from services.adapters.settings import Settings, mask_url
from services.cli.output import fail, load_settings
from services.cli.rules_cmd import _yaml_files
from services.domain.rules import compile_ruleset, lint_text, load_ruleset
from services.domain.rules.errors import RuleError
from services.domain.ruleset_admin import ImpactReport, Refused
from services.rules_admin.handlers import PublishFailed, RulesAdmin
from services.rules_admin.publisher import KafkaRulesPublisher
from services.rules_admin.samples import TopicSample, events_from_file
from services.rules_admin.simulation import run_simulation
from services.rules_admin.store import Actor, RulesetStore

AS = typer.Option(None, "--as", help="Who acts (default: your login name).")
COMMENT = typer.Option(
    "", "--comment", "-m", help="Why: recorded with the version and in the audit log."
)


def _admin(settings: Settings) -> RulesAdmin:
    url = settings.effective_database_url
    current, head = current_revision(url), head_revision()
    if current != head:
        found = current or "empty"
        fail(f"{mask_url(url)} is at schema {found}, not {head}: run `mixflow db migrate`")
    store = RulesetStore(create_engine_for(url))
    publisher = KafkaRulesPublisher(settings.kafka)
    return RulesAdmin(store, publisher, SystemClock(), four_eyes=settings.four_eyes)


def _actor(name: str | None, channel: str = "cli") -> Actor:
    return Actor(name or getpass.getuser(), "operator", socket.gethostname(), channel)


def _print(data: Any) -> None:
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


def _refused(exc: Refused) -> None:
    for finding in exc.findings:
        typer.echo(finding.render(), err=True)
    fail(exc.reason)


def _run(action: Any) -> Any:
    """Run an action, printing a refusal (with its findings) once and exiting non-zero."""
    try:
        return action()
    except Refused as exc:
        _refused(exc)
    except PublishFailed as exc:
        fail(str(exc))


def draft(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The ruleset YAML."),
    comment: str = COMMENT,
    who: str | None = AS,
) -> None:
    """Store a ruleset file as a new draft version; print its number and the linter's findings."""
    admin = _admin(load_settings())
    text = file.read_text(encoding="utf-8")
    checked = _run(lambda: admin.create_draft(text, str(file), comment, _actor(who)))
    for finding in checked.findings:
        typer.echo(finding.render())
    version = checked.version
    typer.echo(f"draft {version.ruleset_id} v{version.version} ({version.digest})", err=True)


def history(ruleset_id: str = typer.Argument(..., help="The ruleset id, e.g. default.")) -> None:
    """Every stored version, newest first: status, who wrote, approved and published it."""
    for v in _admin(load_settings()).history(ruleset_id):
        restores = f" restores v{v.restores}" if v.restores else ""
        typer.echo(
            f"v{v.version:<4} {v.status:<8} by {v.author} {v.created_at:%Y-%m-%d %H:%M}Z"
            f" approved_by={v.approved_by or '-'} published_by={v.published_by or '-'}"
            f"{restores}  {v.comment}"
        )


def diff(
    ruleset_id: str = typer.Argument(...),
    version: int = typer.Argument(...),
    against: int | None = typer.Option(None, help="Compare with this version (default: active)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Rules added, removed and changed (per field) against the active version."""
    result = _run(lambda: _admin(load_settings()).diff(ruleset_id, version, against))
    if as_json:
        _print(result.model_dump(mode="json"))
        return
    for line in result.lines():
        typer.echo(line)


def _progress_events(events: Iterator[Any], total: int | None, progress: Progress) -> Iterator[Any]:
    task = progress.add_task("routing", total=total)
    for n, event in enumerate(events, start=1):
        if n % 1000 == 0:
            progress.update(task, completed=n)
        yield event


def simulate(
    ruleset_id: str | None = typer.Argument(None, help="A stored ruleset id (with VERSION)."),
    version: int | None = typer.Argument(None, help="The stored version to simulate."),
    file: Path | None = typer.Option(None, "--file", help="Simulate a ruleset file instead."),
    events: Path | None = typer.Option(
        None, "--events", help="JSONL CloudEvents (default: the inbound topic)."
    ),
    limit: int | None = typer.Option(
        None, help="Most events to route (default: configured maximum)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the whole report as JSON."),
    who: str | None = AS,
) -> None:
    """Route recorded events with a candidate and the active ruleset; report what changes."""
    settings = load_settings()
    admin = _admin(settings)
    candidate = _candidate(admin, ruleset_id, version, file)
    bounds = settings.rules_admin
    maximum = limit or bounds.simulation_max_events
    now = datetime.now(UTC)
    sample: Any = (
        events_from_file(events, now) if events else TopicSample(settings.kafka, maximum, now)
    )
    source = str(events) if events else sample.topic
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    ) as progress:
        stream = _progress_events(iter(sample), None if events else maximum, progress)
        report = run_simulation(
            stream,
            candidate,
            admin.baseline(candidate.ref.id),
            max_events=maximum,
            time_budget_s=bounds.simulation_time_budget_s if limit is None else 86400.0,
            examples=bounds.simulation_examples,
        )
    if ruleset_id is not None:
        admin.record_simulation(_actor(who), report, source)
    if as_json:
        _print(report.model_dump(mode="json"))
    else:
        _summary(report)


def _candidate(
    admin: RulesAdmin, ruleset_id: str | None, version: int | None, file: Path | None
) -> Any:
    if file is not None:
        try:
            loaded = load_ruleset(file.read_text(encoding="utf-8"), str(file))
            return compile_ruleset(loaded.ruleset, loaded.source)
        except RuleError as exc:
            _refused(Refused("invalid", f"{file} is not a valid ruleset", exc.findings))
    if ruleset_id is None or version is None:
        fail("name a stored version (RULESET_ID VERSION) or a file (--file)")
    return _run(lambda: admin.candidate(ruleset_id, version))


def _summary(report: ImpactReport) -> None:
    c, b = report.candidate, report.baseline
    typer.echo(
        f"{c.id} v{c.version} against v{b.version}: {report.events} events routed, "
        f"{report.skipped} skipped{' (stopped early: bound reached)' if report.truncated else ''}"
    )
    typer.echo(f"decisions changed: {report.changed} ({report.unchanged} unchanged)")
    for p in report.pathways:
        typer.echo(
            f"  {p.pathway:<28} +{p.gained:<7} -{p.lost:<7} e.g. "
            f"{', '.join((p.gained_examples or p.lost_examples)[:3])}"
        )
    for s in report.safeguards:
        typer.echo(f"  safeguard {s.safeguard:<22} fires {s.candidate} (now {s.baseline})")


def approve(
    ruleset_id: str = typer.Argument(...),
    version: int = typer.Argument(...),
    comment: str = COMMENT,
    who: str | None = AS,
) -> None:
    """Approve a draft (with the four-eyes rule: not your own)."""
    admin = _admin(load_settings())
    approved = _run(lambda: admin.approve(ruleset_id, version, comment, _actor(who)))
    typer.echo(f"approved {approved.ruleset_id} v{approved.version} by {approved.approved_by}")


def publish(
    path: Path | None = typer.Argument(None, help="GitOps: ruleset files or a folder to publish."),
    ruleset_id: str | None = typer.Option(None, "--ruleset", help="Publish a stored version."),
    version: int | None = typer.Option(None, "--version"),
    comment: str = COMMENT,
    approved_by: str | None = typer.Option(
        None, "--approved-by", help="GitOps: the reviewer who approved the change in git."
    ),
    who: str | None = AS,
) -> None:
    """Publish a stored approved version, or (GitOps) the rulesets in PATH after linting them."""
    admin = _admin(load_settings())
    if path is None:
        if ruleset_id is None or version is None:
            fail("give a PATH, or --ruleset and --version of a stored version")
        done = _run(lambda: admin.publish(ruleset_id, version, comment, _actor(who)))
        typer.echo(f"published {done.ruleset_id} v{done.version} ({done.digest})")
        return
    _publish_files(admin, path, comment, approved_by, _actor(who, "gitops"))


def _publish_files(
    admin: RulesAdmin, path: Path, comment: str, approved_by: str | None, actor: Actor
) -> None:
    """Lint every file first; publish only when none has an error (refusals are audited)."""
    files = list(_yaml_files([path]))
    if not files:
        fail(f"{path}: no ruleset files")
    texts = {file: file.read_text(encoding="utf-8") for file in files}
    failing = {file for file, text in texts.items() if _has_errors(lint_text(text, str(file)))}
    if failing:
        for file in sorted(failing):
            try:
                admin.publish_source(texts[file], str(file), comment, actor, approved_by)
            except Refused as exc:
                for finding in exc.findings:
                    typer.echo(finding.render(), err=True)
        fail(f"{len(failing)} file(s) fail the linter: nothing published")
    for file, text in texts.items():
        done = _run(lambda: admin.publish_source(text, str(file), comment, actor, approved_by))  # noqa: B023
        if done is None:
            typer.echo(f"{file}: unchanged, the active version already has these rules")
        else:
            typer.echo(f"{file}: published {done.ruleset_id} v{done.version} ({done.digest})")


def _has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


def rollback(
    ruleset_id: str = typer.Argument(...),
    to: int = typer.Option(..., "--to", help="The earlier version whose rules to restore."),
    comment: str = COMMENT,
    who: str | None = AS,
) -> None:
    """Publish an earlier version's rules again, as the next version number."""
    admin = _admin(load_settings())
    done = _run(lambda: admin.rollback(ruleset_id, to, comment, _actor(who)))
    typer.echo(f"published {done.ruleset_id} v{done.version} with the rules of v{to}")


def audit(
    ruleset_id: str | None = typer.Option(None, "--ruleset"),
    limit: int = typer.Option(100, min=1, max=10_000),
) -> None:
    """The rules audit log: who did what, when, from where, and why."""
    admin = _admin(load_settings())
    target = f"rulesets/{ruleset_id}" if ruleset_id else None
    for r in admin.store.audit_entries(target=target, limit=limit):
        typer.echo(
            f"{r.at:%Y-%m-%dT%H:%M:%SZ} {r.actor} ({r.role}) {r.action} {r.target} "
            f"{orjson.dumps(r.detail).decode()}"
        )


def serve_rules_api() -> None:
    """Serve the rules API to operators (drafts, diff, simulation, approval, publication)."""
    from services.cli.worker_cmd import run_api
    from services.rules_admin.api import create_api

    settings = load_settings()
    run_api(
        settings,
        "rules-api",
        lambda s, _t: create_api(s),
        host=settings.api.host,
        port=settings.api.rules_port,
        needs_broker=True,
    )


def register(rules: typer.Typer) -> None:
    """Add the administration commands to the `mixflow rules` group."""
    for name, command in (
        ("draft", draft),
        ("history", history),
        ("diff", diff),
        ("simulate", simulate),
        ("approve", approve),
        ("publish", publish),
        ("rollback", rollback),
        ("audit", audit),
    ):
        rules.command(name)(command)
