"""Case-management handlers: plain functions over a unit of work, called by agents and routes.

Each handler is one transaction. Decisions are idempotent on their event (source, id): the
event is claimed first, and an event claimed before changes nothing. Time is a parameter.
What a transaction publishes (case changes, alerts) is written to the outbox inside it, so it
is published if and only if the changes it reports were committed.
"""

from collections.abc import Iterable
from datetime import datetime

from schemas.decisions import DecisionV1
from schemas.events.referral_update import ReferralUpdateData
from services.domain.cases.intake import DecisionIntake, intake_from_decision, update_from_contract
from services.domain.cases.model import Case, EventKey, Referral
from services.domain.cases.outbound import decision_messages, overdue_messages, status_messages
from services.domain.cases.ports import UnitOfWork
from services.domain.cases.recording import (
    DecisionRecorded,
    OverdueRecorded,
    StatusChanged,
    record_decision,
    record_overdue,
    record_status_change,
)
from services.domain.cases.sla import find_overdue
from services.domain.directory import Directory
from services.domain.errors import ReferralNotAssignedError, UnknownReferralError


def apply_decision(
    uow: UnitOfWork, decision: DecisionV1, *, directory: Directory, now: datetime
) -> DecisionRecorded | None:
    """Record one decision on its person's case; None when its event was already processed."""
    recorded = apply_decisions(uow, [decision], directory=directory, now=now)
    return recorded[0] if recorded else None


def apply_decisions(
    uow: UnitOfWork, decisions: Iterable[DecisionV1], *, directory: Directory, now: datetime
) -> list[DecisionRecorded]:
    """Record a batch of decisions in one transaction, in order; skip events seen before.

    Storage cost is a fixed number of round trips per batch (claim, load cases, three bulk
    writes) whatever its size, which is what lets one worker keep up with a partition.
    """
    _require_aware(now)
    intakes = _first_per_event(intake_from_decision(d) for d in decisions)
    with uow:
        claimed = uow.events.claim([i.event for i in intakes], now)
        fresh = [i for i in intakes if i.event in claimed]
        cases = uow.cases.get_many({i.person_ref for i in fresh})
        recorded: list[DecisionRecorded] = []
        for intake in fresh:
            result = record_decision(cases.get(intake.person_ref), intake, directory, now=now)
            cases[intake.person_ref] = result.case
            recorded.append(result)
        _save(uow, recorded)
        uow.outbox.add_many([m for r in recorded for m in decision_messages(r, at=now)])
        uow.commit()
    return recorded


def apply_referral_update(
    uow: UnitOfWork, update: ReferralUpdateData, *, now: datetime, event: EventKey | None = None
) -> StatusChanged | None:
    """Move a referral on at its receiving agency's request; None for a repeated update.

    A repeat is recognised by its event key when given, else by the referral already being in
    the requested status (redelivery). Only the assigned agency may update a referral.
    """
    _require_aware(now)
    status = update_from_contract(update)
    with uow:
        if event is not None and not uow.events.claim([event], now):
            return None
        referral = uow.referrals.get(status.referral_id)
        if referral is None:
            raise UnknownReferralError(status.referral_id)
        if referral.assigned_agency != status.by_agency:
            raise ReferralNotAssignedError(
                referral.referral_id, status.by_agency, referral.assigned_agency
            )
        if referral.status == status.status:
            return None
        case = uow.cases.get_many([referral.person_ref])[referral.person_ref]
        changed = record_status_change(case, referral, status, now=now)
        uow.referrals.save_status(changed.referral, expected=referral.status)
        uow.cases.save_many([changed.case])
        uow.timeline.add_many([changed.entry])
        uow.outbox.add_many(status_messages(changed, at=now))
        uow.commit()
    return changed


def raise_overdue_alerts(
    uow: UnitOfWork, *, now: datetime, limit: int = 1000
) -> list[OverdueRecorded]:
    """Mark overdue referrals alerted and return each breach once, never twice.

    The marker and the alert (in the outbox) are committed together: the alert is published
    exactly when the marker is set, so a restart neither loses nor repeats it.
    """
    _require_aware(now)
    with uow:
        overdue = find_overdue(uow.referrals.due_unalerted(now, limit), now)
        marked = uow.referrals.mark_alerted([r.referral_id for r in overdue], now)
        claimed = [r for r in overdue if r.referral_id in marked]
        cases = uow.cases.get_many({r.person_ref for r in claimed})
        recorded: list[OverdueRecorded] = []
        for referral in claimed:
            result = record_overdue(cases[referral.person_ref], referral, now=now)
            cases[referral.person_ref] = result.case
            recorded.append(result)
        uow.cases.save_many(cases.values())
        uow.timeline.add_many([r.entry for r in recorded])
        uow.outbox.add_many([m for r in recorded for m in overdue_messages(r, at=now)])
        uow.commit()
    return recorded


def _save(uow: UnitOfWork, recorded: list[DecisionRecorded]) -> None:
    latest: dict[str, Case] = {r.case.person_ref: r.case for r in recorded}
    uow.cases.save_many(latest.values())
    referrals: list[Referral] = [ref for r in recorded for ref in r.referrals]
    uow.referrals.add_many(referrals)
    uow.timeline.add_many([entry for r in recorded for entry in r.entries])


def _first_per_event(intakes: Iterable[DecisionIntake]) -> list[DecisionIntake]:
    # A batch may hold the same event twice (a redelivery inside one poll); the first wins.
    first: dict[EventKey, DecisionIntake] = {}
    for intake in intakes:
        first.setdefault(intake.event, intake)
    return list(first.values())


def _require_aware(now: datetime) -> None:
    # Naive datetimes would compare wrongly against stored UTC due times.
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
