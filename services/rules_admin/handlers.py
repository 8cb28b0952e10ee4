"""What operators do with rulesets, as plain methods the API and the CLI both call.

Each action runs in one transaction with its audit entry. The lifecycle and four-eyes checks
are the domain's (`services.domain.ruleset_admin`); a refusal is audited (in a transaction of
its own) as `rules.<action>.refused` before it reaches the caller. Publishing sends the ruleset
to `mixflow.rules` before the transaction commits: if the broker does not acknowledge, nothing
is recorded as published (and the failure is audited).

The module is longer than most because every action shares that plumbing (lock, check, save,
audit, publish, audit the refusal); each action itself stays a short method.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from schemas.rules import Finding, Ruleset
from services.adapters.clock import Clock
from services.domain.rules import RuleError, compile_ruleset, digest_of, lint, load_ruleset
from services.domain.rules.engine import CompiledRuleset
from services.domain.ruleset_admin import (
    ImpactReport,
    Refused,
    RulesetDiff,
    RulesetVersion,
    check_approvable,
    check_publishable,
    check_restorable,
    diff_rulesets,
    next_version_number,
    same_rules,
)
from services.rules_admin.publisher import RulesPublisher
from services.rules_admin.store import Actor, RulesetStore, RulesetTransaction

DEFAULT_RULES_DIR = Path(__file__).resolve().parents[2] / "routing_rules"
"""The ruleset routers use until one is published (the same file the router loads)."""

T = TypeVar("T")


class PublishFailed(Exception):
    """The broker did not acknowledge the ruleset; nothing was recorded as published."""


@dataclass(frozen=True, slots=True)
class Checked:
    """A stored version and what the linter says about it."""

    version: RulesetVersion
    findings: list[Finding]


def target_of(ruleset_id: str) -> str:
    return f"rulesets/{ruleset_id}"


def findings_of(version: RulesetVersion) -> list[Finding]:
    """Lint a stored version with the lines of the YAML it was written in."""
    try:
        loaded = load_ruleset(version.source, version.source_file)
    except RuleError as exc:
        return list(exc.findings)
    return lint(version.ruleset, loaded.source)


def _loaded(text: str, file: str) -> tuple[Ruleset, list[Finding]]:
    try:
        loaded = load_ruleset(text, file)
    except RuleError as exc:
        raise Refused("invalid", f"{file} is not a valid ruleset", exc.findings) from None
    return loaded.ruleset, lint(loaded.ruleset, loaded.source)


def _numbered(ruleset: Ruleset, number: int) -> tuple[Ruleset, str]:
    numbered = ruleset.model_copy(update={"version": number})
    return numbered, digest_of(numbered)


class RulesAdmin:
    def __init__(
        self,
        store: RulesetStore,
        publisher: RulesPublisher,
        clock: Clock,
        *,
        four_eyes: bool,
        rules_dir: Path = DEFAULT_RULES_DIR,
    ) -> None:
        self.store = store
        self.publisher = publisher
        self.clock = clock
        self.four_eyes = four_eyes
        self.rules_dir = rules_dir

    # -- plumbing shared by the actions ------------------------------------------------------

    def _audited(self, actor: Actor, action: str, ruleset_id: str, run: Callable[[], T]) -> T:
        """Run an action; audit a refusal or a failed publication before re-raising it."""
        try:
            return run()
        except Refused as exc:
            self.refused(actor, action, ruleset_id, exc.reason, findings=len(exc.findings))
            raise
        except PublishFailed as exc:
            self.refused(actor, action, ruleset_id, str(exc), outcome="failed")
            raise

    def refused(
        self, actor: Actor, action: str, ruleset_id: str, reason: str, **detail: Any
    ) -> None:
        suffix = "failed" if detail.pop("outcome", None) == "failed" else "refused"
        with self.store.transaction() as tx:
            tx.audit(
                actor,
                f"rules.{action}.{suffix}",
                ruleset_id,
                self.clock.now(),
                reason=reason,
                **detail,
            )

    def _stored(self, tx: RulesetTransaction, ruleset_id: str, number: int) -> RulesetVersion:
        version = tx.get(ruleset_id, number)
        if version is None:
            raise Refused("not_found", f"ruleset {ruleset_id} has no version {number}")
        return version

    def _publish(self, ruleset: Ruleset) -> None:
        try:
            self.publisher.publish(ruleset)
        except Exception as exc:
            raise PublishFailed(
                f"the broker did not acknowledge {ruleset.id} v{ruleset.version} "
                f"({type(exc).__name__})"
            ) from exc

    def _activate(
        self, tx: RulesetTransaction, version: RulesetVersion, actor: Actor
    ) -> RulesetVersion:
        now = self.clock.now()
        active = tx.active(version.ruleset_id)
        if active is not None:
            tx.save(active.retired(now))
        published = version.activated(actor.name, now)
        tx.save(published)
        self._publish(published.ruleset)
        return published

    # -- reads ----------------------------------------------------------------------------------

    def history(self, ruleset_id: str) -> list[RulesetVersion]:
        with self.store.transaction() as tx:
            return tx.history(ruleset_id)

    def ruleset_ids(self) -> list[str]:
        with self.store.transaction() as tx:
            return tx.ruleset_ids()

    def get(self, ruleset_id: str, number: int) -> Checked:
        with self.store.transaction() as tx:
            version = self._stored(tx, ruleset_id, number)
        return Checked(version, findings_of(version))

    def active(self, ruleset_id: str) -> RulesetVersion | None:
        with self.store.transaction() as tx:
            return tx.active(ruleset_id)

    def diff(self, ruleset_id: str, number: int, against: int | None = None) -> RulesetDiff:
        """The version against `against`, or against the active version when not given."""
        with self.store.transaction() as tx:
            version = self._stored(tx, ruleset_id, number)
            base = (
                tx.active(ruleset_id) if against is None else self._stored(tx, ruleset_id, against)
            )
        return diff_rulesets(base.ruleset if base else None, version.ruleset)

    def _shipped(self) -> Ruleset:
        path = self.rules_dir / "default.yaml"
        return load_ruleset(path.read_text(encoding="utf-8"), str(path)).ruleset

    def baseline(self, ruleset_id: str) -> CompiledRuleset:
        """The ruleset routers use now: the active version, or the shipped default."""
        active = self.active(ruleset_id)
        return compile_ruleset(active.ruleset if active is not None else self._shipped())

    def _number(self, tx: RulesetTransaction, ruleset: Ruleset) -> int:
        """The next number; the first stored version of the shipped ruleset keeps its number
        only when its rules are the shipped ones (routers already run that version)."""
        latest = tx.latest_number(ruleset.id)
        if latest is None:
            shipped = self._shipped()
            if shipped.id == ruleset.id:
                latest = shipped.version - (1 if same_rules(shipped, ruleset) else 0)
        return next_version_number(latest, ruleset.version)

    # -- drafts ---------------------------------------------------------------------------------

    def create_draft(self, text: str, file: str, comment: str, actor: Actor) -> Checked:
        """Store YAML as a new draft (even with lint findings: a draft is work in progress)."""

        def run() -> Checked:
            ruleset, findings = _loaded(text, file)
            with self.store.transaction() as tx:
                tx.lock(ruleset.id)
                number = self._number(tx, ruleset)
                numbered, digest = _numbered(ruleset, number)
                now = self.clock.now()
                draft = RulesetVersion(
                    numbered, text, file, digest, "draft", actor.name, comment, now
                )
                tx.save(draft)
                tx.audit(
                    actor,
                    "rules.draft",
                    target_of(ruleset.id),
                    now,
                    version=number,
                    digest=digest,
                    comment=comment,
                    errors=_errors(findings),
                )
            return Checked(draft, findings)

        return self._audited(actor, "draft", target_of(_id_hint(text)), run)

    def revise_draft(
        self, ruleset_id: str, number: int, text: str, file: str, comment: str, actor: Actor
    ) -> Checked:
        """Replace a draft's content; only its author may, and only before approval."""

        def run() -> Checked:
            ruleset, findings = _loaded(text, file)
            if ruleset.id != ruleset_id:
                raise Refused("invalid", f"the YAML is ruleset {ruleset.id}, not {ruleset_id}")
            with self.store.transaction() as tx:
                current = self._stored(tx, ruleset_id, number)
                if current.status != "draft":
                    raise Refused(
                        "conflict", f"version {number} is {current.status}; create a new draft"
                    )
                if current.author != actor.name:
                    raise Refused("forbidden", "only the author of a draft may revise it")
                numbered, digest = _numbered(ruleset, number)
                now = self.clock.now()
                draft = RulesetVersion(
                    numbered, text, file, digest, "draft", actor.name, comment, current.created_at
                )
                tx.save(draft)
                tx.audit(
                    actor,
                    "rules.revise",
                    target_of(ruleset_id),
                    now,
                    version=number,
                    digest=digest,
                    comment=comment,
                    errors=_errors(findings),
                )
            return Checked(draft, findings)

        return self._audited(actor, "revise", target_of(ruleset_id), run)

    # -- review and publication -----------------------------------------------------------------

    def approve(self, ruleset_id: str, number: int, comment: str, actor: Actor) -> RulesetVersion:
        def run() -> RulesetVersion:
            with self.store.transaction() as tx:
                tx.lock(ruleset_id)
                version = self._stored(tx, ruleset_id, number)
                check_approvable(version, actor.name, findings_of(version), self.four_eyes)
                now = self.clock.now()
                approved = version.approved(actor.name, now)
                tx.save(approved)
                tx.audit(
                    actor,
                    "rules.approve",
                    target_of(ruleset_id),
                    now,
                    version=number,
                    digest=version.digest,
                    author=version.author,
                    comment=comment,
                )
            return approved

        return self._audited(actor, "approve", target_of(ruleset_id), run)

    def publish(self, ruleset_id: str, number: int, comment: str, actor: Actor) -> RulesetVersion:
        def run() -> RulesetVersion:
            with self.store.transaction() as tx:
                tx.lock(ruleset_id)
                version = self._stored(tx, ruleset_id, number)
                check_publishable(version, findings_of(version), self.four_eyes)
                previous = tx.active(ruleset_id)
                published = self._activate(tx, version, actor)
                tx.audit(
                    actor,
                    "rules.publish",
                    target_of(ruleset_id),
                    self.clock.now(),
                    version=number,
                    digest=version.digest,
                    comment=comment,
                    approved_by=version.approved_by,
                    previous=previous.version if previous else None,
                )
            return published

        return self._audited(actor, "publish", target_of(ruleset_id), run)

    def rollback(self, ruleset_id: str, to: int, comment: str, actor: Actor) -> RulesetVersion:
        """Publish the content of earlier version `to` again, as the next version number."""

        def run() -> RulesetVersion:
            with self.store.transaction() as tx:
                tx.lock(ruleset_id)
                target = self._stored(tx, ruleset_id, to)
                previous = tx.active(ruleset_id)
                check_restorable(target, previous)
                number = next_version_number(tx.latest_number(ruleset_id), 1)
                numbered, digest = _numbered(target.ruleset, number)
                restored = RulesetVersion(
                    numbered,
                    target.source,
                    target.source_file,
                    digest,
                    "approved",
                    actor.name,
                    comment,
                    self.clock.now(),
                    approved_by=target.approved_by,
                    approved_at=target.approved_at,
                    restores=to,
                )
                published = self._activate(tx, restored, actor)
                tx.audit(
                    actor,
                    "rules.rollback",
                    target_of(ruleset_id),
                    self.clock.now(),
                    version=number,
                    restores=to,
                    digest=digest,
                    comment=comment,
                    previous=previous.version if previous else None,
                )
            return published

        return self._audited(actor, "rollback", target_of(ruleset_id), run)

    def publish_source(
        self, text: str, file: str, comment: str, actor: Actor, approved_by: str | None
    ) -> RulesetVersion | None:
        """The GitOps path: lint, then store, approve and publish in one step.

        Returns None when the active version already has these rules (nothing to do). With the
        four-eyes rule on, `approved_by` names the reviewer who approved the change in git;
        it must be someone other than `actor`.
        """

        def run() -> RulesetVersion | None:
            ruleset, findings = _loaded(text, file)
            if _errors(findings):
                raise Refused("invalid", f"{file} fails the linter", tuple(findings))
            with self.store.transaction() as tx:
                tx.lock(ruleset.id)
                active = tx.active(ruleset.id)
                if active is not None and same_rules(active.ruleset, ruleset):
                    return None
                if self.four_eyes and (approved_by is None or approved_by == actor.name):
                    raise Refused(
                        "forbidden",
                        "four-eyes rule: name the reviewer who approved this change "
                        "(--approved-by), someone other than the publisher",
                    )
                number = self._number(tx, ruleset)
                numbered, digest = _numbered(ruleset, number)
                now = self.clock.now()
                version = RulesetVersion(
                    numbered, text, file, digest, "draft", actor.name, comment, now
                )
                if approved_by is not None:
                    version = version.approved(approved_by, now)
                published = self._activate(tx, version, actor)
                tx.audit(
                    actor,
                    "rules.publish",
                    target_of(ruleset.id),
                    now,
                    version=number,
                    digest=digest,
                    comment=comment,
                    approved_by=approved_by,
                    source=file,
                    previous=active.version if active else None,
                )
            return published

        return self._audited(actor, "publish", target_of(_id_hint(text)), run)

    # -- simulation -----------------------------------------------------------------------------

    def candidate(self, ruleset_id: str, number: int) -> CompiledRuleset:
        with self.store.transaction() as tx:
            version = self._stored(tx, ruleset_id, number)
        return compile_ruleset(version.ruleset)

    def record_simulation(self, actor: Actor, report: ImpactReport, source: str) -> None:
        with self.store.transaction() as tx:
            tx.audit(
                actor,
                "rules.simulate",
                target_of(report.candidate.id),
                self.clock.now(),
                version=report.candidate.version,
                against=report.baseline.version,
                source=source,
                events=report.events,
                changed=report.changed,
                truncated=report.truncated,
            )


def _errors(findings: list[Finding]) -> int:
    return sum(f.severity == "error" for f in findings)


def _id_hint(text: str) -> str:
    """The `id:` of a YAML text for audit entries of refusals, without trusting the YAML."""
    for line in _lines(text):
        key, _, value = line.partition(":")
        if key == "id":
            candidate = value.strip().strip("'\"")[:80]
            if candidate.replace("-", "").replace("_", "").replace(".", "").isalnum():
                return candidate
    return "unknown"


def _lines(text: str) -> Iterator[str]:
    yield from text.splitlines()[:200]
