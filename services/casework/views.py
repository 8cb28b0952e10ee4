"""What the cases API shows, and to whom: response models and the role-scoped projections.

A caseworker sees the referrals assigned to their agency, the case facts needed to act on them
(pseudonymous refs, when the case opened, the events recorded and where) and the timeline
entries about their own referrals; never other agencies' referrals, decisions or notes. An
admin sees everything. Projections are pure: they take domain values and a principal.
"""

from datetime import datetime
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, StringConstraints

from schemas.codes import Framework, ReferralStatus, ReferralUpdateStatus, Urgency
from schemas.decisions import PathwayCode, ReceivingActorKind
from schemas.events.referral_update import ReasonCode
from services.domain.access import Principal, sees_agency
from services.domain.cases.model import Case, DetailValue, Referral, TimelineEntry

T = TypeVar("T")
CASE_ID = r"^c_[0-9a-f]{32}$"
REFERRAL_ID = r"^r_[0-9a-f]{32}$"
AgencyFilter = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$")]
# Case-level entries a caseworker may see, and the detail keys they keep.
SHARED_ENTRIES: dict[str, frozenset[str]] = {
    "case_opened": frozenset({"household_ref"}),
    "event_recorded": frozenset({"event_type", "country", "admin1", "household_ref"}),
}


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class ProvenanceView(_View):
    ruleset_id: str
    ruleset_version: int
    rule_id: str
    matched: list[str]
    safeguard: bool


class ReferralView(_View):
    referral_id: str
    case_id: str
    person_ref: str
    pathway: PathwayCode
    framework: Framework
    receiving_actor: ReceivingActorKind
    assigned_agency: str
    assignment_fallback: bool
    urgency: Urgency
    sla_hours: int
    issued_at: datetime
    due_at: datetime
    status: ReferralStatus
    status_changed_at: datetime
    overdue: bool
    """Still pending after its due time (an alert has been or will be raised)."""
    alerted_at: datetime | None
    provenance: ProvenanceView


class CaseSummary(_View):
    case_id: str
    person_ref: str
    household_ref: str | None
    opened_at: datetime
    updated_at: datetime


class TimelineEntryView(_View):
    seq: int
    kind: str
    at: datetime
    referral_id: str | None
    event_id: str | None
    detail: dict[str, DetailValue]


class CaseView(CaseSummary):
    referrals: list[ReferralView]
    timeline: list[TimelineEntryView]
    household_cases: list[str]
    """Other cases of the same household that the caller may see."""


class Page(_View, Generic[T]):
    items: list[T]
    next_cursor: str | None
    """Pass as `cursor` for the next page; absent on the last page."""


class StatusUpdateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    status: ReferralUpdateStatus
    reason_code: ReasonCode | None = None


class AssignmentView(_View):
    pathway: PathwayCode
    country: str
    admin1: str | None
    agency: str
    fallback: bool
    """True when no entry named this pathway and a national or global fallback was used."""


def is_overdue(referral: Referral, now: datetime) -> bool:
    return referral.status == "pending" and referral.due_at <= now


def referral_view(referral: Referral, now: datetime) -> ReferralView:
    p = referral.provenance
    return ReferralView(
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        person_ref=referral.person_ref,
        pathway=referral.pathway,
        framework=referral.framework,
        receiving_actor=referral.receiving_actor,
        assigned_agency=referral.assigned_agency,
        assignment_fallback=referral.assignment_fallback,
        urgency=referral.urgency,
        sla_hours=referral.sla_hours,
        issued_at=referral.issued_at,
        due_at=referral.due_at,
        status=referral.status,
        status_changed_at=referral.status_changed_at,
        overdue=is_overdue(referral, now),
        alerted_at=referral.alerted_at,
        provenance=ProvenanceView(
            ruleset_id=p.ruleset_id,
            ruleset_version=p.ruleset_version,
            rule_id=p.rule_id,
            matched=list(p.matched),
            safeguard=p.safeguard,
        ),
    )


def case_summary(case: Case) -> CaseSummary:
    return CaseSummary(
        case_id=case.case_id,
        person_ref=case.person_ref,
        household_ref=case.household_ref,
        opened_at=case.opened_at,
        updated_at=case.updated_at,
    )


def visible_referrals(principal: Principal, referrals: list[Referral]) -> list[Referral]:
    return [r for r in referrals if sees_agency(principal, r.assigned_agency)]


def visible_timeline(
    principal: Principal, entries: list[TimelineEntry], referral_ids: set[str]
) -> list[TimelineEntryView]:
    if principal.role == "admin":
        return [_entry_view(e, dict(e.detail)) for e in entries]
    shown: list[TimelineEntryView] = []
    for entry in entries:
        if entry.referral_id is not None and entry.referral_id in referral_ids:
            shown.append(_entry_view(entry, dict(entry.detail)))
        elif entry.referral_id is None and entry.kind in SHARED_ENTRIES:
            keep = SHARED_ENTRIES[entry.kind]
            shown.append(_entry_view(entry, {k: v for k, v in entry.detail.items() if k in keep}))
    return shown


def case_view(
    principal: Principal,
    case: Case,
    referrals: list[Referral],
    timeline: list[TimelineEntry],
    household_cases: list[str],
    *,
    now: datetime,
) -> CaseView:
    ids = {r.referral_id for r in referrals}
    return CaseView(
        **case_summary(case).model_dump(),
        referrals=[referral_view(r, now) for r in referrals],
        timeline=visible_timeline(principal, timeline, ids),
        household_cases=household_cases,
    )


def _entry_view(entry: TimelineEntry, detail: dict[str, DetailValue]) -> TimelineEntryView:
    return TimelineEntryView(
        seq=entry.seq,
        kind=entry.kind,
        at=entry.at,
        referral_id=entry.referral_id,
        event_id=entry.event_id,
        detail=detail,
    )
