"""Rows of `ruleset_versions` and `audit_log`, read and written in one transaction per action.

`RulesetStore.transaction()` yields a `RulesetTransaction`: every change of an action and its
audit entry commit together, or not at all. Audit entries of refused actions are written in a
transaction of their own, so a refusal is recorded even though nothing else changes.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from sqlmodel import col

from schemas.rules import Ruleset
from services.adapters.db.tables import AuditLogRow, RulesetVersionRow
from services.domain.ruleset_admin import RulesetVersion


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts, in which role, from where (client address) and through which channel."""

    name: str
    role: str
    address: str
    channel: str


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    actor: str
    role: str
    action: str
    target: str
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)


def _version(row: RulesetVersionRow) -> RulesetVersion:
    return RulesetVersion(
        ruleset=Ruleset.model_validate_json(row.content),
        source=row.source,
        source_file=row.source_file,
        digest=row.digest,
        status=row.status,  # type: ignore[arg-type]  # the table's check constraint keeps it valid
        author=row.author,
        comment=row.comment,
        created_at=row.created_at,
        approved_by=row.approved_by,
        approved_at=row.approved_at,
        published_by=row.published_by,
        published_at=row.published_at,
        retired_at=row.retired_at,
        restores=row.restores,
    )


def _values(version: RulesetVersion) -> dict[str, Any]:
    return {
        "ruleset_id": version.ruleset_id,
        "version": version.version,
        "status": version.status,
        "content": version.ruleset.model_dump_json(),
        "source": version.source,
        "source_file": version.source_file,
        "digest": version.digest,
        "author": version.author,
        "comment": version.comment,
        "created_at": version.created_at,
        "approved_by": version.approved_by,
        "approved_at": version.approved_at,
        "published_by": version.published_by,
        "published_at": version.published_at,
        "retired_at": version.retired_at,
        "restores": version.restores,
    }


class RulesetTransaction:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock(self, ruleset_id: str) -> None:
        """Serialise actions on one ruleset: concurrent publishes must not both activate."""
        query = (
            select(col(RulesetVersionRow.version))
            .where(col(RulesetVersionRow.ruleset_id) == ruleset_id)
            .with_for_update()
        )
        self.session.execute(query).all()

    def latest_number(self, ruleset_id: str) -> int | None:
        query = select(func.max(col(RulesetVersionRow.version))).where(
            col(RulesetVersionRow.ruleset_id) == ruleset_id
        )
        return self.session.scalar(query)

    def get(self, ruleset_id: str, version: int) -> RulesetVersion | None:
        row = self.session.get(RulesetVersionRow, (ruleset_id, version))
        return None if row is None else _version(row)

    def active(self, ruleset_id: str) -> RulesetVersion | None:
        query = select(RulesetVersionRow).where(
            col(RulesetVersionRow.ruleset_id) == ruleset_id,
            col(RulesetVersionRow.status) == "active",
        )
        row = self.session.scalars(query).first()
        return None if row is None else _version(row)

    def history(self, ruleset_id: str) -> list[RulesetVersion]:
        query = (
            select(RulesetVersionRow)
            .where(col(RulesetVersionRow.ruleset_id) == ruleset_id)
            .order_by(col(RulesetVersionRow.version).desc())
        )
        return [_version(row) for row in self.session.scalars(query)]

    def ruleset_ids(self) -> list[str]:
        query = select(col(RulesetVersionRow.ruleset_id)).distinct().order_by("ruleset_id")
        return list(self.session.scalars(query))

    def save(self, version: RulesetVersion) -> None:
        """Insert a new version or overwrite the stored one with the same number."""
        self.session.merge(RulesetVersionRow(**_values(version)))
        self.session.flush()

    def audit(self, actor: Actor, action: str, target: str, at: datetime, **detail: Any) -> None:
        entry = {"address": actor.address, "channel": actor.channel, **detail}
        self.session.add(
            AuditLogRow(
                actor=actor.name,
                role=actor.role,
                action=action,
                target=target,
                at=at,
                detail=entry,
            )
        )
        self.session.flush()


class RulesetStore:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False, autoflush=False)

    @contextmanager
    def transaction(self) -> Iterator[RulesetTransaction]:
        """Commit when the block ends normally; roll back when it raises."""
        with self._sessions() as session, session.begin():
            yield RulesetTransaction(session)

    def audit_entries(
        self, *, target: str | None = None, after_id: int = 0, limit: int = 100
    ) -> list[AuditRecord]:
        """Rules audit entries (actions `rules.*`) in order of writing, a page at a time."""
        query = (
            select(AuditLogRow)
            .where(col(AuditLogRow.action).startswith("rules."), col(AuditLogRow.id) > after_id)
            .order_by(col(AuditLogRow.id))
            .limit(limit)
        )
        if target is not None:
            query = query.where(col(AuditLogRow.target) == target)
        with self._sessions() as session:
            return [
                AuditRecord(
                    row.id or 0,
                    row.actor,
                    row.role,
                    row.action,
                    row.target,
                    row.at,
                    dict(row.detail),
                )
                for row in session.scalars(query)
            ]
