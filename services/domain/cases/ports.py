"""The doors to storage the case handlers use: repositories and a unit of work.

Protocols only. `services.adapters.db` implements them on SQLite and PostgreSQL (`SqlUnitOfWork`)
and in memory (`InMemoryUnitOfWork`); one contract suite runs against all three.
"""

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from schemas.codes import ReferralStatus
from services.domain.cases.model import (
    AuditEntry,
    Case,
    EventKey,
    OutboxMessage,
    Referral,
    TimelineEntry,
)


class CaseRepository(Protocol):
    def get_many(self, person_refs: Collection[str]) -> dict[str, Case]:
        """Existing cases by person_ref; writers lock them until commit where the store can."""

    def household(self, household_ref: str) -> list[Case]:
        """Every case linked to a household, oldest first."""

    def save_many(self, cases: Iterable[Case]) -> None:
        """Insert new cases and update known ones."""


class ReferralRepository(Protocol):
    def get(self, referral_id: str) -> Referral | None: ...

    def for_case(self, case_id: str) -> list[Referral]:
        """A case's referrals in the order they were issued."""

    def add_many(self, referrals: Sequence[Referral]) -> None:
        """Insert referrals; one that already exists is left as it is."""

    def save_status(self, referral: Referral, *, expected: ReferralStatus) -> None:
        """Write a status change, or raise `StaleReferralError` if the stored status moved on."""

    def due_unalerted(self, now: datetime, limit: int) -> list[Referral]:
        """Pending referrals due by `now` and never alerted, most overdue first."""

    def mark_alerted(self, referral_ids: Collection[str], at: datetime) -> set[str]:
        """Set the alert marker where it is unset; return the ids this call marked."""


class TimelineRepository(Protocol):
    def add_many(self, entries: Sequence[TimelineEntry]) -> None: ...

    def for_case(self, case_id: str) -> list[TimelineEntry]:
        """A case's timeline in order."""


class ProcessedEvents(Protocol):
    def claim(self, keys: Collection[EventKey], at: datetime) -> set[EventKey]:
        """Record events as processed; return only those not processed before."""


class AuditLog(Protocol):
    def append(self, entry: AuditEntry) -> None: ...

    def entries(self, target: str | None = None) -> list[AuditEntry]:
        """Entries in the order they were written, optionally for one target."""


class Outbox(Protocol):
    def add_many(self, messages: Sequence[OutboxMessage]) -> None:
        """Queue records for publication; they become visible to the relay only on commit."""


class UnitOfWork(Protocol):
    """One transaction over every repository; leaving the block without `commit` rolls back."""

    # Read-only members, so implementations may declare their concrete repository types.
    @property
    def cases(self) -> CaseRepository: ...
    @property
    def referrals(self) -> ReferralRepository: ...
    @property
    def timeline(self) -> TimelineRepository: ...
    @property
    def events(self) -> ProcessedEvents: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def outbox(self) -> Outbox: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...
