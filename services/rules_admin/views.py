"""Request and response bodies of the rules API (also printed by `mixflow rules ... --json`)."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from schemas.rules import Finding
from services.domain.ruleset_admin import RulesetVersion
from services.rules_admin.store import AuditRecord

YamlText = Annotated[str, Field(min_length=1, max_length=512_000)]
Comment = Annotated[str, Field(max_length=500)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RulesetText(Body):
    yaml: YamlText
    file: Annotated[str, Field(min_length=1, max_length=200)] = "draft.yaml"
    comment: Comment = ""


class Reason(Body):
    comment: Comment = ""


class RollbackRequest(Body):
    to_version: Annotated[int, Field(ge=1)]
    comment: Comment = ""


class SimulationRequest(Body):
    limit: Annotated[int | None, Field(ge=1)] = None
    """Most recent inbound events to route; at most the configured maximum."""


class VersionView(BaseModel):
    ruleset_id: str
    version: int
    status: str
    digest: str
    author: str
    comment: str
    created_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    published_by: str | None
    published_at: datetime | None
    retired_at: datetime | None
    restores: int | None
    rules: int


def version_view(version: RulesetVersion) -> VersionView:
    return VersionView(
        ruleset_id=version.ruleset_id,
        version=version.version,
        status=version.status,
        digest=version.digest,
        author=version.author,
        comment=version.comment,
        created_at=version.created_at,
        approved_by=version.approved_by,
        approved_at=version.approved_at,
        published_by=version.published_by,
        published_at=version.published_at,
        retired_at=version.retired_at,
        restores=version.restores,
        rules=len(version.ruleset.rules),
    )


class CheckedView(BaseModel):
    version: VersionView
    errors: int
    findings: list[dict[str, Any]]
    rendered: list[str]
    """The findings as `mixflow rules check` prints them."""


def checked_view(version: RulesetVersion, findings: list[Finding]) -> CheckedView:
    return CheckedView(
        version=version_view(version),
        errors=sum(f.severity == "error" for f in findings),
        findings=[f.model_dump() for f in findings],
        rendered=[f.render() for f in findings],
    )


class AuditView(BaseModel):
    id: int
    actor: str
    role: str
    action: str
    target: str
    at: datetime
    detail: dict[str, Any]


def audit_view(record: AuditRecord) -> AuditView:
    return AuditView(
        id=record.id,
        actor=record.actor,
        role=record.role,
        action=record.action,
        target=record.target,
        at=record.at,
        detail=record.detail,
    )
