"""The SQL unit of work: one session, one transaction, every repository of case management."""

from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from services.adapters.db.case_queries import SqlCaseQueries
from services.adapters.db.outbox import SqlOutbox
from services.adapters.db.repository import (
    SqlAuditLog,
    SqlCaseRepository,
    SqlProcessedEvents,
    SqlReferralRepository,
    SqlTimelineRepository,
)


def session_factory_for(engine: Engine) -> sessionmaker[Session]:
    # Values leave the session as domain objects, so nothing needs reloading after commit.
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)


class SqlUnitOfWork:
    """`with uow: ...; uow.commit()` — leaving the block without commit rolls everything back."""

    cases: SqlCaseRepository
    referrals: SqlReferralRepository
    timeline: SqlTimelineRepository
    events: SqlProcessedEvents
    audit: SqlAuditLog
    outbox: SqlOutbox
    queries: SqlCaseQueries
    """Read-side queries of the cases API (filters, pages); not part of the domain's port."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def __enter__(self) -> Self:
        self.session = self.session_factory()
        self.cases = SqlCaseRepository(self.session)
        self.referrals = SqlReferralRepository(self.session)
        self.timeline = SqlTimelineRepository(self.session)
        self.events = SqlProcessedEvents(self.session)
        self.audit = SqlAuditLog(self.session)
        self.outbox = SqlOutbox(self.session)
        self.queries = SqlCaseQueries(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
