"""The life of a stored ruleset version, and the checks that guard each step.

    draft --approve--> approved --publish--> active --(another is published)--> retired
    draft --publish (only with the four-eyes rule off)--> active

A draft may be revised by its author until it is approved; approval is bound to the content it
saw (its digest). With the four-eyes rule on, only an operator other than the author may approve,
and only an approved version may be published. A rollback publishes, as a new version, the
content of a version that was active before: that content already passed review, so it needs no
second approval, and the history stays in version order.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from schemas.rules import Finding, Ruleset
from services.domain.errors import DomainError

Status = Literal["draft", "approved", "active", "retired"]
STATUSES: tuple[Status, ...] = ("draft", "approved", "active", "retired")


class Refused(DomainError):
    """An action on a ruleset that its state or the four-eyes rule does not allow.

    `kind` tells a shell how to answer: `forbidden` (who asked may not), `conflict` (the
    version's state does not allow it), `invalid` (the content fails the linter), `not_found`.
    """

    def __init__(
        self,
        kind: Literal["forbidden", "conflict", "invalid", "not_found"],
        reason: str,
        findings: tuple[Finding, ...] = (),
    ) -> None:
        self.kind = kind
        self.reason = reason
        self.findings = findings
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class RulesetVersion:
    """One stored version of a ruleset with its provenance."""

    ruleset: Ruleset
    source: str
    source_file: str
    digest: str
    status: Status
    author: str
    comment: str
    created_at: datetime
    approved_by: str | None = None
    approved_at: datetime | None = None
    published_by: str | None = None
    published_at: datetime | None = None
    retired_at: datetime | None = None
    restores: int | None = None

    @property
    def ruleset_id(self) -> str:
        return self.ruleset.id

    @property
    def version(self) -> int:
        return self.ruleset.version

    def approved(self, by: str, at: datetime) -> "RulesetVersion":
        return replace(self, status="approved", approved_by=by, approved_at=at)

    def activated(self, by: str, at: datetime) -> "RulesetVersion":
        return replace(self, status="active", published_by=by, published_at=at)

    def retired(self, at: datetime) -> "RulesetVersion":
        return replace(self, status="retired", retired_at=at)


def next_version_number(stored: int | None, proposed: int) -> int:
    """The number of a new version: after every stored one, and never below what the file says."""
    return max((stored or 0) + 1, proposed)


def same_rules(a: Ruleset, b: Ruleset) -> bool:
    """Do two rulesets route identically by construction (equal apart from their version)?"""
    return a.model_copy(update={"version": b.version}) == b


def _errors(findings: list[Finding]) -> tuple[Finding, ...]:
    return tuple(f for f in findings if f.severity == "error")


def check_approvable(
    version: RulesetVersion, by: str, findings: list[Finding], four_eyes: bool
) -> None:
    """Raise `Refused` unless `by` may approve this version now."""
    if version.status != "draft":
        raise Refused("conflict", f"version {version.version} is {version.status}, not a draft")
    if four_eyes and by == version.author:
        raise Refused(
            "forbidden",
            "four-eyes rule: the author of a draft cannot approve it; ask another operator",
        )
    errors = _errors(findings)
    if errors:
        raise Refused("invalid", f"version {version.version} fails the linter", errors)


def check_publishable(version: RulesetVersion, findings: list[Finding], four_eyes: bool) -> None:
    """Raise `Refused` unless this version may be published now."""
    if version.status in ("active", "retired"):
        raise Refused(
            "conflict",
            f"version {version.version} was already published; roll back to it instead",
        )
    if four_eyes and version.status != "approved":
        raise Refused(
            "forbidden",
            f"four-eyes rule: version {version.version} must be approved by a second operator "
            "before it is published",
        )
    errors = _errors(findings)
    if errors:
        raise Refused("invalid", f"version {version.version} fails the linter", errors)


def check_restorable(target: RulesetVersion, active: RulesetVersion | None) -> None:
    """Raise `Refused` unless `target` is an earlier published version that is not in force."""
    if target.published_at is None:
        raise Refused(
            "conflict",
            f"version {target.version} was never published; only published versions are restored",
        )
    if active is not None and same_rules(target.ruleset, active.ruleset):
        raise Refused("conflict", f"the active version {active.version} already has these rules")
