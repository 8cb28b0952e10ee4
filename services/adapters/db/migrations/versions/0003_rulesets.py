"""Rulesets: every stored version of a routing ruleset with its lifecycle and provenance.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ruleset_versions",
        sa.Column("ruleset_id", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_file", sa.String(length=200), nullable=False),
        sa.Column("digest", sa.String(length=71), nullable=False),
        sa.Column("author", sa.String(length=120), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("approved_by", sa.String(length=120), nullable=True),
        sa.Column("approved_at", UTC_DATETIME, nullable=True),
        sa.Column("published_by", sa.String(length=120), nullable=True),
        sa.Column("published_at", UTC_DATETIME, nullable=True),
        sa.Column("retired_at", UTC_DATETIME, nullable=True),
        sa.Column("restores", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'approved', 'active', 'retired')",
            name="ck_ruleset_versions_status",
        ),
        sa.PrimaryKeyConstraint("ruleset_id", "version"),
    )
    op.create_index(
        "ix_ruleset_versions_status", "ruleset_versions", ["ruleset_id", "status"]
    )


def downgrade() -> None:
    op.drop_index("ix_ruleset_versions_status", table_name="ruleset_versions")
    op.drop_table("ruleset_versions")
