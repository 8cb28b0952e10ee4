"""Case store: cases, referrals, timeline, processed events, append-only audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TOKEN = sa.String(length=34)
STATUSES = "'pending', 'accepted', 'in_progress', 'declined', 'completed', 'closed'"

# The audit log is append-only at the database too, not only by the repository's API.
PG_AUDIT_GUARD = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
"""
SQLITE_AUDIT_GUARD = [
    f"""CREATE TRIGGER audit_log_no_{action} BEFORE {action.upper()} ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"""
    for action in ("update", "delete")
]


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("case_id", TOKEN, nullable=False),
        sa.Column("person_ref", TOKEN, nullable=False),
        sa.Column("household_ref", TOKEN, nullable=True),
        sa.Column("opened_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
        sa.UniqueConstraint("person_ref", name="uq_cases_person_ref"),
    )
    op.create_index("ix_cases_household_ref", "cases", ["household_ref"])

    op.create_table(
        "referrals",
        sa.Column("referral_id", TOKEN, nullable=False),
        sa.Column("case_id", TOKEN, nullable=False),
        sa.Column("person_ref", TOKEN, nullable=False),
        sa.Column("decision_id", TOKEN, nullable=False),
        sa.Column("pathway", sa.String(length=40), nullable=False),
        sa.Column("framework", sa.String(length=4), nullable=False),
        sa.Column("receiving_actor", sa.String(length=40), nullable=False),
        sa.Column("assigned_agency", sa.String(length=40), nullable=False),
        sa.Column("assignment_fallback", sa.Boolean(), nullable=False),
        sa.Column("urgency", sa.String(length=10), nullable=False),
        sa.Column("sla_hours", sa.Integer(), nullable=False),
        sa.Column("issued_at", UTC_DATETIME, nullable=False),
        sa.Column("due_at", UTC_DATETIME, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("status_changed_at", UTC_DATETIME, nullable=False),
        sa.Column("alerted_at", UTC_DATETIME, nullable=True),
        sa.Column("ruleset_id", sa.String(length=80), nullable=False),
        sa.Column("ruleset_version", sa.Integer(), nullable=False),
        sa.Column("ruleset_digest", sa.String(length=71), nullable=False),
        sa.Column("rule_id", sa.String(length=120), nullable=False),
        sa.Column("matched", DOCUMENT, nullable=False),
        sa.Column("safeguard", sa.Boolean(), nullable=False),
        sa.CheckConstraint(f"status IN ({STATUSES})", name="ck_referrals_status"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name="fk_referrals_case_id"),
        sa.PrimaryKeyConstraint("referral_id"),
    )
    op.create_index("ix_referrals_case_id", "referrals", ["case_id"])
    op.create_index("ix_referrals_agency_status", "referrals", ["assigned_agency", "status"])
    op.create_index("ix_referrals_status_due_at", "referrals", ["status", "due_at"])

    op.create_table(
        "timeline",
        sa.Column("case_id", TOKEN, nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("referral_id", TOKEN, nullable=True),
        sa.Column("event_id", sa.String(length=200), nullable=True),
        sa.Column("detail", DOCUMENT, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name="fk_timeline_case_id"),
        sa.PrimaryKeyConstraint("case_id", "seq"),
    )

    op.create_table(
        "processed_events",
        sa.Column("event_source", sa.String(length=400), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("processed_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("event_source", "event_id"),
    )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("detail", DOCUMENT, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_target", "audit_log", ["target"])
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_AUDIT_GUARD)
    else:
        for statement in SQLITE_AUDIT_GUARD:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    op.drop_table("audit_log")
    op.drop_table("processed_events")
    op.drop_table("timeline")
    op.drop_table("referrals")
    op.drop_table("cases")
