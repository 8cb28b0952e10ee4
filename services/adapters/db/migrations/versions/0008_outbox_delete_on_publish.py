"""Outbox rows are deleted once the broker acknowledged them, instead of marked and kept.

Marking a row published rewrote it whole: `published_at` is indexed (the relay read unpublished
rows through it), so no update could be a heap-only one, and each wrote a new copy of the row's
compressed changes and an entry in every index. `bench/outbox_bench.py` (6,000 decisions' rows,
six rounds each way, alternating): a mark cost 17.6-29.5 µs and 1,738 bytes of WAL a row, a
delete 3.3-4.9 µs and 65 bytes, and no prune has to delete the row a day later. What was
published is on `mixflow.cases.changes` and `mixflow.alerts`, and every change is in the case's
timeline; a row still in the table is one not yet acknowledged.

The upgrade drops rows already published; the downgrade restores the column (every remaining row
is unpublished) and its index.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM outbox WHERE published_at IS NOT NULL")
    op.drop_index("ix_outbox_published_at_id", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("published_at")


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_outbox_published_at_id", "outbox", ["published_at", "id"], unique=False)
