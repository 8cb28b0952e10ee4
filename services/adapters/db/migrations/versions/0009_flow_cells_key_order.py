"""Flow cells keyed by what queries select first, so one index serves both upsert and query.

The primary key led with the partition, which no query filters on, so a second index
(`ix_flow_cells_query`: measure, granularity, window) served the history queries, and every new
cell, and every update that could not stay on its page, wrote an entry in both. Keyed (measure,
granularity, late, window_start, coords, part), the primary key serves the queries itself
(measure and granularity fixed, lateness fixed, a range of windows) and the second index goes.
On PostgreSQL the table also leaves a fifth of each page free (fillfactor 80): counts of the
current windows are updated in place many times, and an update that finds room on its page
writes no index entry at all.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_KEY = ("part", "measure", "granularity", "window_start", "late", "coords")
_NEW_KEY = ("measure", "granularity", "late", "window_start", "coords", "part")


def upgrade() -> None:
    op.drop_index("ix_flow_cells_query", table_name="flow_cells")
    _rekey(_NEW_KEY)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE flow_cells SET (fillfactor = 80)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE flow_cells RESET (fillfactor)")
    _rekey(_OLD_KEY)
    op.create_index(
        "ix_flow_cells_query", "flow_cells", ["measure", "granularity", "window_start"]
    )


def _rekey(columns: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name == "postgresql":
        # One statement: the table is never without a key, and its index is built once.
        op.execute(
            "ALTER TABLE flow_cells DROP CONSTRAINT flow_cells_pkey, "
            f"ADD CONSTRAINT flow_cells_pkey PRIMARY KEY ({', '.join(columns)})"
        )
        return
    # SQLite cannot alter a key: the table is copied into one with the new key.
    with op.batch_alter_table("flow_cells", recreate="always") as batch:
        batch.create_primary_key("pk_flow_cells", list(columns))
