"""SQLModel tables of case management. Adapters only: the domain never sees these classes.

Constraint and index names are explicit so migrations are reproducible on both databases.
Identifiers are the fixed-width tokens of the contracts; the widths below follow them.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from services.adapters.db.utc import UtcDateTime
from services.domain.cases.lifecycle import TRANSITIONS

TOKEN = String(34)  # `p_`/`h_`/`c_`/`r_`/`d_` + 32 hex
AGENCY = String(40)
# JSONB on PostgreSQL so later queries can index into details; plain JSON text on SQLite.
Document = JSON().with_variant(JSONB(), "postgresql")
_STATUSES = ", ".join(f"'{status}'" for status in TRANSITIONS)


class CaseRow(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("person_ref", name="uq_cases_person_ref"),
        Index("ix_cases_household_ref", "household_ref"),
    )

    case_id: str = Field(sa_type=TOKEN, primary_key=True)
    person_ref: str = Field(sa_type=TOKEN)
    household_ref: str | None = Field(default=None, sa_type=TOKEN)
    opened_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)
    last_seq: int = Field(sa_type=Integer)


class ReferralRow(SQLModel, table=True):
    __tablename__ = "referrals"
    __table_args__ = (
        ForeignKeyConstraint(["case_id"], ["cases.case_id"], name="fk_referrals_case_id"),
        CheckConstraint(f"status IN ({_STATUSES})", name="ck_referrals_status"),
        Index("ix_referrals_case_id", "case_id"),
        Index("ix_referrals_agency_status", "assigned_agency", "status"),
        # The SLA scan reads pending referrals by due time.
        Index("ix_referrals_status_due_at", "status", "due_at"),
    )

    referral_id: str = Field(sa_type=TOKEN, primary_key=True)
    case_id: str = Field(sa_type=TOKEN)
    person_ref: str = Field(sa_type=TOKEN)
    decision_id: str = Field(sa_type=TOKEN)
    pathway: str = Field(sa_type=String(40))
    framework: str = Field(sa_type=String(4))
    receiving_actor: str = Field(sa_type=String(40))
    assigned_agency: str = Field(sa_type=AGENCY)
    assignment_fallback: bool
    urgency: str = Field(sa_type=String(10))
    sla_hours: int = Field(sa_type=Integer)
    issued_at: datetime = Field(sa_type=UtcDateTime)
    due_at: datetime = Field(sa_type=UtcDateTime)
    status: str = Field(sa_type=String(12))
    status_changed_at: datetime = Field(sa_type=UtcDateTime)
    alerted_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    ruleset_id: str = Field(sa_type=String(80))
    ruleset_version: int = Field(sa_type=Integer)
    ruleset_digest: str = Field(sa_type=String(71))  # `sha256:` + 64 hex
    rule_id: str = Field(sa_type=String(120))
    matched: list[str] = Field(sa_column=Column(Document, nullable=False))
    safeguard: bool


class TimelineRow(SQLModel, table=True):
    __tablename__ = "timeline"
    __table_args__ = (
        ForeignKeyConstraint(["case_id"], ["cases.case_id"], name="fk_timeline_case_id"),
    )

    case_id: str = Field(sa_type=TOKEN, primary_key=True)
    seq: int = Field(sa_type=Integer, primary_key=True, sa_column_kwargs={"autoincrement": False})
    kind: str = Field(sa_type=String(20))
    at: datetime = Field(sa_type=UtcDateTime)
    referral_id: str | None = Field(default=None, sa_type=TOKEN)
    event_id: str | None = Field(default=None, sa_type=String(200))
    detail: dict[str, Any] = Field(sa_column=Column(Document, nullable=False))


class ProcessedEventRow(SQLModel, table=True):
    """Events already applied; the primary key is what makes redelivery harmless."""

    __tablename__ = "processed_events"

    event_source: str = Field(sa_type=String(400), primary_key=True)
    event_id: str = Field(sa_type=String(200), primary_key=True)
    processed_at: datetime = Field(sa_type=UtcDateTime)


class AuditLogRow(SQLModel, table=True):
    """Append-only record of who did what; the migration adds triggers refusing UPDATE/DELETE."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_target", "target"),
        Index("ix_audit_log_at", "at"),
    )

    # SQLite only auto-increments an INTEGER PRIMARY KEY, so BIGINT becomes INTEGER there.
    id: int | None = Field(
        default=None,
        primary_key=True,
        sa_type=BigInteger().with_variant(Integer(), "sqlite"),
    )
    actor: str = Field(sa_type=String(120))
    role: str = Field(sa_type=String(40))
    action: str = Field(sa_type=String(80))
    target: str = Field(sa_type=String(200))
    at: datetime = Field(sa_type=UtcDateTime)
    detail: dict[str, Any] = Field(sa_column=Column(Document, nullable=False))


class ApiTokenRow(SQLModel, table=True):
    """An API token: only an HMAC of its secret is stored; the secret is shown once at creation."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint(
            "role IN ('publisher', 'operator', 'caseworker', 'monitor', 'admin')",
            name="ck_api_tokens_role",
        ),
    )

    token_id: str = Field(sa_type=String(16), primary_key=True)
    agency: str = Field(sa_type=AGENCY)
    role: str = Field(sa_type=String(20))
    secret_hmac: str = Field(sa_type=String(64))
    label: str = Field(default="", sa_type=String(120))
    created_at: datetime = Field(sa_type=UtcDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class FlowCellRow(SQLModel, table=True):
    """One finest flow cell counted by one partition of the flows service, for history queries.

    The flows service adds each batch's increments in the same transaction that records the
    counted ids (`flow_seen`), so a redelivered record never counts twice; queries sum
    partitions and derive every marginal. Person-level data never lands here: a cell holds
    codes only, and monitors see it only through the suppressing API.
    """

    __tablename__ = "flow_cells"

    # Key order is query order (measure, granularity, lateness, then a range of windows), so the
    # key's index also serves the history queries (migration 0009).
    measure: str = Field(sa_type=String(12), primary_key=True)
    granularity: str = Field(sa_type=String(8), primary_key=True)
    late: bool = Field(primary_key=True)
    window_start: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    coords: str = Field(sa_type=String(512), primary_key=True)
    part: int = Field(sa_type=Integer, primary_key=True, sa_column_kwargs={"autoincrement": False})
    count: int = Field(sa_type=BigInteger)


class FlowSeenRow(SQLModel, table=True):
    """Ids the flows service has counted (decision ids, `case:sequence` of changes).

    Claimed in the counting transaction; rows older than the de-duplication horizon are
    deleted, which bounds the table by the event rate times that horizon.
    """

    __tablename__ = "flow_seen"
    __table_args__ = (Index("ix_flow_seen_seen_at", "seen_at"),)

    ident: str = Field(sa_type=String(80), primary_key=True)
    seen_at: datetime = Field(sa_type=UtcDateTime)


class FlowPersonRow(SQLModel, table=True):
    """Country, sex and age band of a person the flows service counted, to place outcomes.

    Codes only, under the pseudonym; never served: monitors see suppressed aggregates only.
    """

    __tablename__ = "flow_people"

    person_ref: str = Field(sa_type=TOKEN, primary_key=True)
    facts: str = Field(sa_type=String(40))


class FlowWatermarkRow(SQLModel, table=True):
    """Event-time watermark of one partition of one input stream: what counts as late."""

    __tablename__ = "flow_watermarks"

    part: int = Field(sa_type=Integer, primary_key=True, sa_column_kwargs={"autoincrement": False})
    stream: str = Field(sa_type=String(12), primary_key=True)
    watermark: int = Field(sa_type=BigInteger)


class OutboxRow(SQLModel, table=True):
    """Records written with the changes they report, published by the relay after commit.

    `id` orders publication; for one case it follows commit order, because writers of a case
    hold its row lock. A row is deleted once the broker acknowledged its records, so every row
    here is unpublished. A row carries one message or a run of them with one topic and key,
    `message_id` and `payload` each joined by newlines (see `services.adapters.db.outbox`).
    """

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("message_id", name="uq_outbox_message_id"),)

    id: int | None = Field(
        default=None,
        primary_key=True,
        sa_type=BigInteger().with_variant(Integer(), "sqlite"),
    )
    message_id: str = Field(sa_type=Text())
    topic: str = Field(sa_type=String(120))
    key: str = Field(sa_type=String(80))
    payload: str = Field(sa_type=String())
    created_at: datetime = Field(sa_type=UtcDateTime)


class RulesetVersionRow(SQLModel, table=True):
    """One stored version of a routing ruleset: draft, approved, active or retired.

    `content` is the canonical JSON of the `Ruleset` (what is published and digested), `source`
    the YAML the operator wrote and `source_file` its name (so findings keep their file:line).
    A rollback is a new version whose `restores` names the version whose content it carries.
    """

    __tablename__ = "ruleset_versions"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'approved', 'active', 'retired')",
            name="ck_ruleset_versions_status",
        ),
        Index("ix_ruleset_versions_status", "ruleset_id", "status"),
    )

    ruleset_id: str = Field(sa_type=String(80), primary_key=True)
    version: int = Field(
        sa_type=Integer, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    status: str = Field(sa_type=String(10))
    content: str = Field(sa_type=Text)
    source: str = Field(sa_type=Text)
    source_file: str = Field(sa_type=String(200))
    digest: str = Field(sa_type=String(71))  # `sha256:` + 64 hex
    author: str = Field(sa_type=String(120))
    comment: str = Field(sa_type=String(500))
    created_at: datetime = Field(sa_type=UtcDateTime)
    approved_by: str | None = Field(default=None, sa_type=String(120))
    approved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    published_by: str | None = Field(default=None, sa_type=String(120))
    published_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    retired_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    restores: int | None = Field(default=None, sa_type=Integer)
