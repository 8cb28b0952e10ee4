"""An in-memory unit of work for fast tests of services that use case storage.

It passes the same contract suite as SQLite and PostgreSQL (`tests/integration/db`), which is
the only reason it may stand in for them. Changes are made on a copy and swapped in on commit.
"""

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import Self

from schemas.codes import ReferralStatus
from services.domain.cases.model import (
    AuditEntry,
    Case,
    EventKey,
    OutboxMessage,
    Referral,
    TimelineEntry,
)
from services.domain.errors import StaleReferralError


@dataclass
class MemoryState:
    """Everything the store holds; domain values are frozen, so shallow copies are safe."""

    cases: dict[str, Case] = field(default_factory=dict)
    referrals: dict[str, Referral] = field(default_factory=dict)
    timeline: dict[tuple[str, int], TimelineEntry] = field(default_factory=dict)
    events: dict[EventKey, datetime] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    outbox: list[OutboxMessage] = field(default_factory=list)

    def copy(self) -> "MemoryState":
        return MemoryState(
            dict(self.cases),
            dict(self.referrals),
            dict(self.timeline),
            dict(self.events),
            list(self.audit),
            list(self.outbox),
        )


class MemoryCaseRepository:
    def __init__(self, state: MemoryState) -> None:
        self.state = state

    def get_many(self, person_refs: Collection[str]) -> dict[str, Case]:
        return {p: self.state.cases[p] for p in person_refs if p in self.state.cases}

    def household(self, household_ref: str) -> list[Case]:
        linked = [c for c in self.state.cases.values() if c.household_ref == household_ref]
        return sorted(linked, key=lambda c: (c.opened_at, c.case_id))

    def save_many(self, cases: Iterable[Case]) -> None:
        for case in cases:
            known = self.state.cases.get(case.person_ref)
            # Like the SQL upsert: the opening time of a known case never changes.
            opened = known.opened_at if known else case.opened_at
            self.state.cases[case.person_ref] = replace(case, opened_at=opened)


class MemoryReferralRepository:
    def __init__(self, state: MemoryState) -> None:
        self.state = state

    def get(self, referral_id: str) -> Referral | None:
        return self.state.referrals.get(referral_id)

    def for_case(self, case_id: str) -> list[Referral]:
        found = [r for r in self.state.referrals.values() if r.case_id == case_id]
        return sorted(found, key=lambda r: (r.issued_at, r.referral_id))

    def add_many(self, referrals: Sequence[Referral]) -> None:
        for referral in referrals:
            self.state.referrals.setdefault(referral.referral_id, referral)

    def save_status(self, referral: Referral, *, expected: ReferralStatus) -> None:
        stored = self.state.referrals.get(referral.referral_id)
        if stored is None or stored.status != expected:
            raise StaleReferralError(referral.referral_id, expected)
        self.state.referrals[referral.referral_id] = replace(
            stored, status=referral.status, status_changed_at=referral.status_changed_at
        )

    def due_unalerted(self, now: datetime, limit: int) -> list[Referral]:
        due = [
            r
            for r in self.state.referrals.values()
            if r.status == "pending" and r.alerted_at is None and r.due_at <= now
        ]
        return sorted(due, key=lambda r: (r.due_at, r.referral_id))[:limit]

    def mark_alerted(self, referral_ids: Collection[str], at: datetime) -> set[str]:
        marked: set[str] = set()
        for referral_id in referral_ids:
            stored = self.state.referrals.get(referral_id)
            if stored is not None and stored.alerted_at is None:
                self.state.referrals[referral_id] = replace(stored, alerted_at=at)
                marked.add(referral_id)
        return marked


class MemoryTimelineRepository:
    def __init__(self, state: MemoryState) -> None:
        self.state = state

    def add_many(self, entries: Sequence[TimelineEntry]) -> None:
        for entry in entries:
            key = (entry.case_id, entry.seq)
            if key in self.state.timeline:
                raise ValueError(f"timeline entry {key} exists already")
            self.state.timeline[key] = entry

    def for_case(self, case_id: str) -> list[TimelineEntry]:
        entries = [e for (c, _), e in self.state.timeline.items() if c == case_id]
        return sorted(entries, key=lambda e: e.seq)


class MemoryProcessedEvents:
    def __init__(self, state: MemoryState) -> None:
        self.state = state

    def claim(self, keys: Collection[EventKey], at: datetime) -> set[EventKey]:
        fresh = {k for k in keys if k not in self.state.events}
        for key in fresh:
            self.state.events[key] = at
        return fresh


class MemoryAuditLog:
    def __init__(self, state: MemoryState) -> None:
        self.state = state

    def append(self, entry: AuditEntry) -> None:
        self.state.audit.append(entry)

    def entries(self, target: str | None = None) -> list[AuditEntry]:
        return [e for e in self.state.audit if target is None or e.target == target]


class MemoryOutbox:
    def __init__(self, state: MemoryState) -> None:
        self.state = state

    def add_many(self, messages: Sequence[OutboxMessage]) -> None:
        self.state.outbox.extend(messages)


class InMemoryUnitOfWork:
    """Several units of work built on one `MemoryState` share it, like sessions on a database."""

    def __init__(self, state: MemoryState | None = None) -> None:
        self.state = state if state is not None else MemoryState()
        self.committed = False

    def __enter__(self) -> Self:
        self._working = self.state.copy()
        self.cases = MemoryCaseRepository(self._working)
        self.referrals = MemoryReferralRepository(self._working)
        self.timeline = MemoryTimelineRepository(self._working)
        self.events = MemoryProcessedEvents(self._working)
        self.audit = MemoryAuditLog(self._working)
        self.outbox = MemoryOutbox(self._working)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def commit(self) -> None:
        for name in ("cases", "referrals", "timeline", "events", "audit", "outbox"):
            setattr(self.state, name, getattr(self._working, name))
        self._working = self._working.copy()
        self._rebind()
        self.committed = True

    def rollback(self) -> None:
        self._working = self.state.copy()
        self._rebind()

    def _rebind(self) -> None:
        repos = (self.cases, self.referrals, self.timeline, self.events, self.audit, self.outbox)
        for repo in repos:
            repo.state = self._working
