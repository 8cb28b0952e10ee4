"""SQL repositories over one session: bulk statements, a fixed number of round trips per batch.

Inserts use the dialect's `INSERT ... ON CONFLICT` (PostgreSQL and SQLite share the syntax) so
replays are absorbed by the database instead of by read-then-write races.
"""

from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from psycopg.errors import UniqueViolation
from sqlalchemy import ARRAY, CursorResult, Table, any_, bindparam, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import col

from schemas.codes import ReferralStatus
from services.adapters.db import bulk, mapping
from services.adapters.db.tables import (
    AuditLogRow,
    CaseRow,
    ProcessedEventRow,
    ReferralRow,
    TimelineRow,
)
from services.domain.cases.model import AuditEntry, Case, EventKey, Referral, TimelineEntry
from services.domain.errors import StaleReferralError

# Keeps every `IN (...)` well under SQLite's bound-parameter limit and PostgreSQL's plan costs.
CHUNK = 500
T = TypeVar("T")


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _insert(session: Session, model: Any) -> Any:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(_table(model))


def _on_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _matching(session: Session, column: Any, values: Sequence[Any]) -> Iterator[Any]:
    """Conditions `column IN values`, a few for SQLite's parameter limit, one on PostgreSQL.

    PostgreSQL gets `= ANY(array)`: one parameter for the whole list, where an IN list makes
    the driver parse and bind one placeholder per value.
    """
    if not values:
        return
    if _on_postgres(session):
        yield column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
        return
    for chunk in _chunks(values):
        yield column.in_(chunk)


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


class SqlCaseRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_many(self, person_refs: Collection[str]) -> dict[str, Case]:
        table = _table(CaseRow)
        found: dict[str, Case] = {}
        for refs in _matching(self.session, table.c.person_ref, sorted(person_refs)):
            # Lock in a stable order so two writers never wait on each other in a cycle.
            query = select(*table.c).where(refs).order_by(table.c.case_id).with_for_update()
            for row in self.session.execute(query):
                found[row.person_ref] = Case(
                    row.case_id,
                    row.person_ref,
                    row.household_ref,
                    row.opened_at,
                    row.updated_at,
                    row.last_seq,
                )
        return found

    def household(self, household_ref: str) -> list[Case]:
        query = (
            select(CaseRow)
            .where(col(CaseRow.household_ref) == household_ref)
            .order_by(col(CaseRow.opened_at), col(CaseRow.case_id))
            .execution_options(populate_existing=True)
        )
        return [mapping.case_from(row) for row in self.session.scalars(query)]

    def save_many(self, cases: Iterable[Case]) -> None:
        if _on_postgres(self.session):
            self._upsert_arrays(cases)
            return
        rows = [mapping.case_values(case) for case in cases]
        if not rows:
            return
        insert = _insert(self.session, CaseRow)
        stmt = insert.on_conflict_do_update(
            index_elements=["case_id"],
            set_={
                name: insert.excluded[name] for name in ("household_ref", "updated_at", "last_seq")
            },
        )
        self.session.execute(stmt, rows)

    def _upsert_arrays(self, cases: Iterable[Case]) -> None:
        # One upsert sees each key once (a second would be refused), so the last value wins
        # here, as it did when rows were upserted one after the other. Rows are taken in key
        # order, so two workers upserting overlapping cases lock them in the same order.
        latest = {case.case_id: case for case in cases}
        if not latest:
            return
        columns = mapping.CASE_COLUMNS
        names = ", ".join(columns)
        bulk.from_arrays(
            self.session,
            f"INSERT INTO cases ({names}) SELECT {names} FROM {{rows}} ORDER BY case_id "
            "ON CONFLICT (case_id) DO UPDATE SET household_ref = excluded.household_ref, "
            "updated_at = excluded.updated_at, last_seq = excluded.last_seq",
            columns,
            mapping.CASE_TYPES,
            map(mapping.case_row, latest.values()),
        )


class SqlReferralRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, referral_id: str) -> Referral | None:
        row = self.session.get(ReferralRow, referral_id, populate_existing=True)
        return mapping.referral_from(row) if row is not None else None

    def for_case(self, case_id: str) -> list[Referral]:
        query = (
            select(ReferralRow)
            .where(col(ReferralRow.case_id) == case_id)
            .order_by(col(ReferralRow.issued_at), col(ReferralRow.referral_id))
            .execution_options(populate_existing=True)
        )
        return [mapping.referral_from(row) for row in self.session.scalars(query)]

    def add_many(self, referrals: Sequence[Referral]) -> None:
        if not referrals:
            return
        if _on_postgres(self.session):
            self._add_copied([mapping.referral_row(r) for r in referrals])
            return
        stmt = _insert(self.session, ReferralRow).on_conflict_do_nothing(
            index_elements=["referral_id"]
        )
        # executemany: psycopg pipelines the rows in one round trip and reuses one prepared
        # statement, which measured faster than multi-row VALUES of the same rows.
        self.session.execute(stmt, [mapping.referral_values(r) for r in referrals])

    def _add_copied(self, rows: list[tuple[Any, ...]]) -> None:
        # Referral ids derive from the decision, whose event was claimed in this transaction,
        # so a clash needs the same decision under an event not seen before, which is rare:
        # copy straight in, and only when that meets an existing id go through the twin.
        columns = mapping.REFERRAL_COLUMNS
        try:
            with self.session.begin_nested():
                types = mapping.REFERRAL_TYPES
                bulk.copy_into(self.session, "referrals", columns, rows, types=types)
            return
        except UniqueViolation:
            pass
        twin = bulk.stage(self.session, "referrals", columns, rows)
        names = ", ".join(columns)
        self.session.execute(
            text(
                f"INSERT INTO referrals ({names}) SELECT {names} FROM {twin} "
                "ON CONFLICT (referral_id) DO NOTHING"
            )
        )

    def save_status(self, referral: Referral, *, expected: ReferralStatus) -> None:
        table = _table(ReferralRow)
        # Compare-and-set on the status: a concurrent update makes this match no row.
        stmt = (
            update(table)
            .where(table.c.referral_id == referral.referral_id, table.c.status == expected)
            .values(status=referral.status, status_changed_at=referral.status_changed_at)
        )
        result = self.session.execute(stmt)
        # An UPDATE without RETURNING always yields a cursor result, which carries rowcount.
        if cast(CursorResult[Any], result).rowcount != 1:
            raise StaleReferralError(referral.referral_id, expected)

    def due_unalerted(self, now: datetime, limit: int) -> list[Referral]:
        query = (
            select(ReferralRow)
            .where(
                col(ReferralRow.status) == "pending",
                col(ReferralRow.alerted_at).is_(None),
                col(ReferralRow.due_at) <= now,
            )
            .order_by(col(ReferralRow.due_at), col(ReferralRow.referral_id))
            .limit(limit)
            .execution_options(populate_existing=True)
        )
        return [mapping.referral_from(row) for row in self.session.scalars(query)]

    def mark_alerted(self, referral_ids: Collection[str], at: datetime) -> set[str]:
        table = _table(ReferralRow)
        marked: set[str] = set()
        for chunk in _chunks(sorted(referral_ids)):
            # The IS NULL guard makes the marker a claim: of two concurrent callers only one
            # sees the row in RETURNING, so only one alert is ever published.
            stmt = (
                update(table)
                .where(table.c.referral_id.in_(chunk), table.c.alerted_at.is_(None))
                .values(alerted_at=at)
                .returning(table.c.referral_id)
            )
            marked.update(self.session.scalars(stmt))
        return marked


class SqlTimelineRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_many(self, entries: Sequence[TimelineEntry]) -> None:
        # A plain insert: a (case_id, seq) clash means a concurrent writer and must fail.
        if entries and _on_postgres(self.session):
            copied = map(mapping.timeline_row, entries)
            columns, types = mapping.TIMELINE_COLUMNS, mapping.TIMELINE_TYPES
            bulk.copy_into(self.session, "timeline", columns, copied, types=types)
        elif entries:
            rows = [mapping.timeline_values(e) for e in entries]
            self.session.execute(_table(TimelineRow).insert(), rows)

    def for_case(self, case_id: str) -> list[TimelineEntry]:
        query = (
            select(TimelineRow)
            .where(col(TimelineRow.case_id) == case_id)
            .order_by(col(TimelineRow.seq))
            .execution_options(populate_existing=True)
        )
        return [mapping.timeline_from(row) for row in self.session.scalars(query)]


class SqlProcessedEvents:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, keys: Collection[EventKey], at: datetime) -> set[EventKey]:
        if not keys:
            return set()
        if _on_postgres(self.session):
            return self._claim_arrays(keys, at)
        rows = [{"event_source": k.source, "event_id": k.id, "processed_at": at} for k in keys]
        if not rows:
            return set()
        table = _table(ProcessedEventRow)
        stmt = (
            _insert(self.session, ProcessedEventRow)
            .on_conflict_do_nothing(index_elements=["event_source", "event_id"])
            .returning(table.c.event_source, table.c.event_id)
        )
        result = self.session.execute(stmt, rows)
        return {EventKey(source, event_id) for source, event_id in result}

    def _claim_arrays(self, keys: Collection[EventKey], at: datetime) -> set[EventKey]:
        at = mapping.aware(at)
        claimed = bulk.from_arrays(
            self.session,
            "INSERT INTO processed_events (event_source, event_id, processed_at) "
            "SELECT event_source, event_id, processed_at FROM {rows} "
            "ON CONFLICT (event_source, event_id) DO NOTHING RETURNING event_source, event_id",
            ("event_source", "event_id", "processed_at"),
            ("text", "text", "timestamptz"),
            ((k.source, k.id, at) for k in keys),
        )
        return {EventKey(source, event_id) for source, event_id in claimed}


class SqlAuditLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, entry: AuditEntry) -> None:
        self.session.execute(_table(AuditLogRow).insert(), [mapping.audit_values(entry)])

    def entries(self, target: str | None = None) -> list[AuditEntry]:
        query = select(AuditLogRow).order_by(col(AuditLogRow.id))
        if target is not None:
            query = query.where(col(AuditLogRow.target) == target)
        return [mapping.audit_from(row) for row in self.session.scalars(query)]
