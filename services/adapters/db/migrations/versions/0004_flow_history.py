"""Flow history: finest flow cells per partition, counted ids, event-time watermarks.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "flow_cells",
        sa.Column("part", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("measure", sa.String(length=12), nullable=False),
        sa.Column("granularity", sa.String(length=8), nullable=False),
        sa.Column("window_start", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("coords", sa.String(length=512), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("part", "measure", "granularity", "window_start", "late", "coords"),
    )
    op.create_index(
        "ix_flow_cells_query", "flow_cells", ["measure", "granularity", "window_start"]
    )
    op.create_table(
        "flow_seen",
        sa.Column("ident", sa.String(length=80), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ident"),
    )
    op.create_index("ix_flow_seen_seen_at", "flow_seen", ["seen_at"])
    op.create_table(
        "flow_people",
        sa.Column("person_ref", sa.String(length=34), nullable=False),
        sa.Column("facts", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("person_ref"),
    )
    op.create_table(
        "flow_watermarks",
        sa.Column("part", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("stream", sa.String(length=12), nullable=False),
        sa.Column("watermark", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("part", "stream"),
    )


def downgrade() -> None:
    op.drop_table("flow_watermarks")
    op.drop_table("flow_people")
    op.drop_index("ix_flow_seen_seen_at", table_name="flow_seen")
    op.drop_table("flow_seen")
    op.drop_index("ix_flow_cells_query", table_name="flow_cells")
    op.drop_table("flow_cells")
