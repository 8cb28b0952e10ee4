"""Pure decisions about what a case records: given state and input, the new state and entries.

Each function returns the case with its timeline counter advanced and the entries to append, so
the handlers only load, call, and save.
"""

from dataclasses import dataclass, replace
from datetime import datetime

from services.domain.cases.ids import case_id_for, referral_id_for
from services.domain.cases.intake import DecisionIntake, ReferralIntent, StatusUpdate
from services.domain.cases.lifecycle import transition
from services.domain.cases.model import (
    Case,
    DetailValue,
    Provenance,
    Referral,
    TimelineEntry,
    TimelineKind,
)
from services.domain.cases.sla import due_at_for, mark_alerted
from services.domain.directory import Directory, resolve


@dataclass(frozen=True, slots=True)
class DecisionRecorded:
    """A decision applied to a case: the case after it, the referrals issued, the new entries."""

    case: Case
    opened: bool
    referrals: tuple[Referral, ...]
    entries: tuple[TimelineEntry, ...]


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """A referral's status change, as recorded on its case."""

    case: Case
    referral: Referral
    previous_status: str
    entry: TimelineEntry


@dataclass(frozen=True, slots=True)
class OverdueRecorded:
    """An SLA breach: the case noting it, the referral marked alerted, the timeline entry."""

    case: Case
    referral: Referral
    entry: TimelineEntry


def append(
    case: Case,
    kind: TimelineKind,
    at: datetime,
    *,
    referral_id: str | None = None,
    event_id: str | None = None,
    **detail: DetailValue,
) -> tuple[Case, TimelineEntry]:
    """The case with one more timeline entry, and that entry."""
    seq = case.last_seq + 1
    entry = TimelineEntry(case.case_id, seq, kind, at, referral_id, event_id, dict(detail))
    return replace(case, last_seq=seq), entry


def open_or_continue(case: Case | None, intake: DecisionIntake, now: datetime) -> Case:
    """A person's existing case, continued (a return, a second arrival), or a new one."""
    if case is None:
        return Case(
            case_id_for(intake.person_ref),
            intake.person_ref,
            intake.household_ref,
            opened_at=now,
            updated_at=now,
        )
    # A later event without a household keeps the known link; a new one replaces it.
    return replace(case, household_ref=intake.household_ref or case.household_ref, updated_at=now)


def record_decision(
    case: Case | None, intake: DecisionIntake, directory: Directory, *, now: datetime
) -> DecisionRecorded:
    """Open or continue the case, issue one referral per pathway, record it all in order."""
    current = open_or_continue(case, intake, now)
    event_id = intake.event.id
    entries: list[TimelineEntry] = []

    def note(
        kind: TimelineKind, at: datetime, referral_id: str | None = None, **detail: DetailValue
    ) -> None:
        # Numbered here and the case advanced once at the end: this runs for every decision
        # of a batch, and a copy of the case per entry (`append`) was a measurable share.
        seq = current.last_seq + len(entries) + 1
        entries.append(TimelineEntry(current.case_id, seq, kind, at, referral_id, event_id, detail))

    if case is None:
        note("case_opened", now, household_ref=intake.household_ref)
    note(
        "event_recorded",
        intake.event_time,
        event_type=intake.event_type,
        event_source=intake.event.source,
        agency=intake.agency,
        country=intake.country,
        admin1=intake.admin1,
        household_ref=intake.household_ref,
    )
    note(
        "decision_made",
        intake.decided_at,
        decision_id=intake.decision_id,
        ruleset_id=intake.ruleset_id,
        ruleset_version=intake.ruleset_version,
        ruleset_digest=intake.ruleset_digest,
        referrals=len(intake.referrals),
    )
    referrals: list[Referral] = []
    for intent in _one_per_pathway(intake.referrals):
        referral = issue_referral(current, intake, intent, directory)
        note(
            "referral_issued",
            referral.issued_at,
            referral.referral_id,
            pathway=referral.pathway,
            agency=referral.assigned_agency,
            fallback=referral.assignment_fallback,
            urgency=referral.urgency,
            due_at=referral.due_at.isoformat(),
        )
        referrals.append(referral)
    current = replace(current, last_seq=current.last_seq + len(entries))
    return DecisionRecorded(current, case is None, tuple(referrals), tuple(entries))


def issue_referral(
    case: Case, intake: DecisionIntake, intent: ReferralIntent, directory: Directory
) -> Referral:
    """A pending referral, assigned through the directory, due `sla_hours` after the decision.

    `issued_at` is the decision time, not the processing time, so a replay builds the same row
    and a backlog does not extend anyone's deadline.
    """
    assignment = resolve(directory, intent.pathway, intake.country, intake.admin1)
    issued_at = intake.decided_at
    return Referral(
        referral_id=referral_id_for(intake.decision_id, intent.pathway),
        case_id=case.case_id,
        person_ref=case.person_ref,
        decision_id=intake.decision_id,
        pathway=intent.pathway,
        framework=intent.framework,
        receiving_actor=intent.receiving_actor,
        assigned_agency=assignment.agency,
        assignment_fallback=assignment.fallback,
        urgency=intent.urgency,
        sla_hours=intent.sla_hours,
        issued_at=issued_at,
        due_at=due_at_for(issued_at, intent.sla_hours),
        status="pending",
        status_changed_at=issued_at,
        provenance=Provenance(
            intake.ruleset_id,
            intake.ruleset_version,
            intake.ruleset_digest,
            intent.rule_id,
            intent.matched,
            intent.safeguard,
        ),
    )


def record_status_change(
    case: Case, referral: Referral, update: StatusUpdate, *, now: datetime
) -> StatusChanged:
    """Move the referral through its lifecycle (or raise `TransitionError`) and record it."""
    changed = transition(referral, update.status, at=now)
    current, entry = append(
        replace(case, updated_at=now),
        "status_changed",
        now,
        referral_id=referral.referral_id,
        from_status=referral.status,
        to_status=update.status,
        reason_code=update.reason_code,
        by_agency=update.by_agency,
    )
    return StatusChanged(current, changed, referral.status, entry)


def record_overdue(case: Case, referral: Referral, *, now: datetime) -> OverdueRecorded:
    """Mark the referral alerted and note the breach on its case."""
    current, entry = append(
        replace(case, updated_at=now),
        "overdue",
        now,
        referral_id=referral.referral_id,
        agency=referral.assigned_agency,
        due_at=referral.due_at.isoformat(),
    )
    return OverdueRecorded(current, mark_alerted(referral, now), entry)


def _one_per_pathway(intents: tuple[ReferralIntent, ...]) -> list[ReferralIntent]:
    # The referral id is derived from (decision, pathway); a repeated pathway would collide.
    first: dict[str, ReferralIntent] = {}
    for intent in intents:
        first.setdefault(intent.pathway, intent)
    return list(first.values())
