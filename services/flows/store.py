"""Flow history in the database: cell increments per partition, counted ids, watermarks.

The counting transaction (`FlowCellStore.transaction`) is the only writer: it claims record ids,
reads and moves watermarks and adds increments, so the stored counts are exactly the records
counted once. Queries sum partitions and derive every marginal (`cells`).
"""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.adapters.db import bulk
from services.adapters.db.tables import FlowCellRow, FlowPersonRow, FlowSeenRow, FlowWatermarkRow
from services.domain.flows import CellKey
from services.domain.flows.keys import Measure
from services.domain.flows.windows import Granularity, epoch_seconds
from services.flows.cellkeys import TableKey, decode_coords, encode_coords

Window = tuple[str, str, int]
"""(measure, granularity, window start in epoch seconds)."""

_CHUNK = 1000
CELLS: Any = FlowCellRow.__table__  # type: ignore[attr-defined]
SEEN: Any = FlowSeenRow.__table__  # type: ignore[attr-defined]
PEOPLE: Any = FlowPersonRow.__table__  # type: ignore[attr-defined]
MARKS: Any = FlowWatermarkRow.__table__  # type: ignore[attr-defined]
_CELL_KEY = ["measure", "granularity", "late", "window_start", "coords", "part"]
"""The primary key's columns, in its order: rows sorted so go into its index in order."""
_CELL_COLUMNS = (*_CELL_KEY, "count")


def _chunks(rows: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), _CHUNK):
        yield rows[start : start + _CHUNK]


class FlowTransaction:
    """The writes of one counted batch, on one connection inside one transaction."""

    def __init__(self, connection: Connection, insert: Any, now: datetime) -> None:
        self._c = connection
        self._insert = insert
        self._now = now
        self._marks: dict[tuple[int, str], int] | None = None
        self._on_postgres = connection.dialect.name == "postgresql"
        self.touched: set[Window] = set()

    def claim(self, idents: Sequence[str]) -> set[str]:
        """Record ids not seen before, now recorded as seen (duplicates in `idents` once)."""
        unique = list(dict.fromkeys(idents))
        if not unique:
            return set()
        if self._on_postgres:
            twin = bulk.stage(
                self._c, "flow_seen", ("ident", "seen_at"), ((i, self._now) for i in unique)
            )
            claimed = self._c.execute(
                text(
                    f"INSERT INTO flow_seen (ident, seen_at) SELECT ident, seen_at FROM {twin} "
                    "ON CONFLICT (ident) DO NOTHING RETURNING ident"
                )
            )
            return set(claimed.scalars())
        # One statement executed for many rows: compiled once and cached, unlike a VALUES list
        # of a different length per batch, whose compilation cost more than the insert.
        statement = (
            self._insert(SEEN)
            .on_conflict_do_nothing(index_elements=["ident"])
            .returning(SEEN.c.ident)
        )
        rows = [{"ident": i, "seen_at": self._now} for i in unique]
        return set(self._c.execute(statement, rows).scalars())

    def watermark(self, part: int, stream: str) -> int | None:
        if self._marks is None:
            rows = self._c.execute(select(MARKS.c.part, MARKS.c.stream, MARKS.c.watermark))
            self._marks = {(p, s): w for p, s, w in rows}
        return self._marks.get((part, stream))

    def set_watermark(self, part: int, stream: str, watermark: int) -> None:
        statement = self._insert(MARKS).values(part=part, stream=stream, watermark=watermark)
        self._c.execute(
            statement.on_conflict_do_update(
                index_elements=["part", "stream"], set_={"watermark": statement.excluded.watermark}
            )
        )

    def remember(self, people: dict[str, str]) -> None:
        rows = sorted(people.items())
        if not rows:
            return
        if self._on_postgres:
            twin = bulk.stage(self._c, "flow_people", ("person_ref", "facts"), rows)
            self._c.execute(
                text(
                    "INSERT INTO flow_people (person_ref, facts) "
                    f"SELECT person_ref, facts FROM {twin} ORDER BY person_ref "
                    "ON CONFLICT (person_ref) DO UPDATE SET facts = excluded.facts"
                )
            )
            return
        statement = self._insert(PEOPLE)
        statement = statement.on_conflict_do_update(
            index_elements=["person_ref"], set_={"facts": statement.excluded.facts}
        )
        self._c.execute(statement, [{"person_ref": ref, "facts": facts} for ref, facts in rows])

    def people(self, refs: Iterable[str]) -> dict[str, str]:
        wanted = list(refs)
        found: dict[str, str] = {}
        for chunk in _chunks(wanted):
            rows = self._c.execute(
                select(PEOPLE.c.person_ref, PEOPLE.c.facts).where(PEOPLE.c.person_ref.in_(chunk))
            )
            found.update({ref: facts for ref, facts in rows})
        return found

    def add(self, deltas: Sequence[tuple[TableKey, int]]) -> None:
        """Add increments to cells; sorted so concurrent writers lock rows in one order."""
        rows = sorted(
            (
                key.cell.measure,
                key.cell.granularity,
                key.late,
                key.cell.window,
                encode_coords(key.cell.coords),
                key.part,
                count,
            )
            for key, count in deltas
        )
        if rows and self._on_postgres:
            self._add_staged(rows)
        elif rows:
            statement = self._insert(CELLS)
            statement = statement.on_conflict_do_update(
                index_elements=_CELL_KEY,
                set_={"count": CELLS.c.count + statement.excluded["count"]},
            )
            self._c.execute(statement, [dict(zip(_CELL_COLUMNS, row, strict=True)) for row in rows])
        self.touched |= {(k.cell.measure, k.cell.granularity, k.cell.window) for k, _ in deltas}

    def _add_staged(self, rows: list[tuple[Any, ...]]) -> None:
        twin = bulk.stage(self._c, "flow_cells", _CELL_COLUMNS, rows)
        key = ", ".join(_CELL_KEY)
        # Summed per key first: one upsert may touch a row only once.
        self._c.execute(
            text(
                f"INSERT INTO flow_cells ({key}, count) SELECT {key}, sum(count) FROM {twin} "
                f"GROUP BY {key} ORDER BY {key} "
                f"ON CONFLICT ({key}) DO UPDATE SET count = flow_cells.count + excluded.count"
            )
        )


class FlowCellStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert

    @contextmanager
    def transaction(self, now: datetime) -> Iterator[FlowTransaction]:
        with self._engine.begin() as connection:
            yield FlowTransaction(connection, self._insert, now)

    def forget_before(self, horizon: datetime) -> int:
        """Drop counted ids older than the de-duplication horizon; return how many."""
        with self._engine.begin() as connection:
            result = connection.execute(delete(SEEN).where(SEEN.c.seen_at < horizon))
        return int(result.rowcount or 0)

    def cells(
        self,
        measures: Iterable[Measure],
        granularity: Granularity,
        start: datetime,
        end: datetime,
        *,
        late: bool = False,
    ) -> dict[CellKey, int]:
        """On-time (or too-late) cells of windows starting in [start, end), partitions summed."""
        statement = (
            select(CELLS.c.measure, CELLS.c.window_start, CELLS.c.coords, func.sum(CELLS.c.count))
            .where(
                CELLS.c.measure.in_(list(measures)),
                CELLS.c.granularity == granularity,
                CELLS.c.window_start >= epoch_seconds(start),
                CELLS.c.window_start < epoch_seconds(end),
                CELLS.c.late == late,
            )
            .group_by(CELLS.c.measure, CELLS.c.window_start, CELLS.c.coords)
        )
        with self._engine.connect() as connection:
            result = connection.execute(statement).all()
        return {
            CellKey(measure, granularity, window, decode_coords(coords)): int(total)
            for measure, window, coords, total in result
        }


def dedup_horizon(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
