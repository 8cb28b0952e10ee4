"""Outbox rows carry runs of messages: `message_id` holds their ids, so it is no longer short.

A decision's changes to a case (three to five, one topic and key) now share one outbox row, which
is written, read back and marked published once instead of once per change. Rows written before
this revision hold one message each and read the same way.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column(
            "message_id", existing_type=sa.String(length=80), type_=sa.Text(), nullable=False
        )


def downgrade() -> None:
    # A row carrying several messages has no place in the old layout: refuse rather than cut ids.
    bundled = op.get_bind().execute(
        sa.text("SELECT count(*) FROM outbox WHERE message_id LIKE :joined"),
        {"joined": "%\n%"},
    )
    if bundled.scalar_one():
        raise RuntimeError(
            "the outbox holds rows of several messages; publish and prune them before downgrading"
        )
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column(
            "message_id", existing_type=sa.Text(), type_=sa.String(length=80), nullable=False
        )
