"""Read-side queries of the cases API: filtered pages of referrals and cases, in a stable order.

Pages use keyset pagination on immutable columns (`issued_at`/`opened_at`, then the id), newest
first: a page boundary never moves when rows are added or change status, and each page costs
one index range scan however deep the caller has paged.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, not_, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from services.adapters.db import mapping
from services.adapters.db.tables import CaseRow, ReferralRow
from services.domain.cases.model import Case, Referral


@dataclass(frozen=True, slots=True)
class ReferralFilter:
    """Conditions on referrals; a case matches when one of its referrals matches them all."""

    agency: str | None = None
    pathway: str | None = None
    status: str | None = None
    overdue: bool | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page ended: the sort time and id of its last row."""

    at: datetime
    id: str


class SqlCaseQueries:
    def __init__(self, session: Session) -> None:
        self.session = session

    def referrals(
        self, where: ReferralFilter, *, now: datetime, after: Position | None, limit: int
    ) -> list[Referral]:
        issued, rid = col(ReferralRow.issued_at), col(ReferralRow.referral_id)
        conditions = _referral_conditions(where, now)
        conditions += _time_range(issued, where)
        if after is not None:
            conditions.append(_before(issued, rid, after))
        query = (
            select(ReferralRow)
            .where(*conditions)
            .order_by(issued.desc(), rid.desc())
            .limit(limit)
            .execution_options(populate_existing=True)
        )
        return [mapping.referral_from(row) for row in self.session.scalars(query)]

    def cases(
        self, where: ReferralFilter, *, now: datetime, after: Position | None, limit: int
    ) -> list[Case]:
        opened, cid = col(CaseRow.opened_at), col(CaseRow.case_id)
        conditions = _time_range(opened, where)
        about_referrals = _referral_conditions(where, now)
        if about_referrals:
            matching = col(ReferralRow.case_id) == cid
            conditions.append(exists().where(matching, *about_referrals))
        if after is not None:
            conditions.append(_before(opened, cid, after))
        query = (
            select(CaseRow)
            .where(*conditions)
            .order_by(opened.desc(), cid.desc())
            .limit(limit)
            .execution_options(populate_existing=True)
        )
        return [mapping.case_from(row) for row in self.session.scalars(query)]

    def case(self, case_id: str) -> Case | None:
        row = self.session.get(CaseRow, case_id, populate_existing=True)
        return mapping.case_from(row) if row is not None else None


def _referral_conditions(where: ReferralFilter, now: datetime) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if where.agency is not None:
        conditions.append(col(ReferralRow.assigned_agency) == where.agency)
    if where.pathway is not None:
        conditions.append(col(ReferralRow.pathway) == where.pathway)
    if where.status is not None:
        conditions.append(col(ReferralRow.status) == where.status)
    if where.overdue is not None:
        # Overdue: still pending after the due time, whether or not it was alerted yet.
        late = and_(col(ReferralRow.status) == "pending", col(ReferralRow.due_at) <= now)
        conditions.append(late if where.overdue else not_(late))
    return conditions


def _time_range(column: Any, where: ReferralFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if where.since is not None:
        conditions.append(column >= where.since)
    if where.until is not None:
        conditions.append(column < where.until)
    return conditions


def _before(at: Any, ident: Any, after: Position) -> ColumnElement[bool]:
    # Spelled out rather than as a row-value comparison so each side binds with its column's
    # type (UTC normalisation on SQLite).
    return or_(at < after.at, and_(at == after.at, ident < after.id))
