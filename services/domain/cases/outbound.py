"""The edge toward the output contracts: case changes and SLA-breach alerts from core results.

A change's `sequence` is the timeline position of the entry it reports, so a consumer can match
published changes with the case's timeline. `decision_made` entries are not published (the
decision topic already carries them), which leaves gaps in the sequence, never reorders it.

`*_messages` wrap the same records as outbox messages with deterministic ids: a change is
`<case_id>/<sequence>`, an alert `<referral_id>/sla-breach` (one breach per referral).
"""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson

from schemas.alerts import SlaBreachAlertV1
from schemas.cases import CaseChangeKind, CaseChangeV1
from schemas.topics import ALERTS, CASES_CHANGES
from services.domain.cases.model import Case, OutboxMessage, Referral, TimelineEntry, TimelineKind
from services.domain.cases.recording import DecisionRecorded, OverdueRecorded, StatusChanged

_PUBLISHED: dict[TimelineKind, CaseChangeKind] = {
    "case_opened": "case_opened",
    "event_recorded": "event_recorded",
    "referral_issued": "referral_issued",
    "status_changed": "referral_status_changed",
    "overdue": "referral_overdue",
}


def decision_changes(recorded: DecisionRecorded) -> list[CaseChangeV1]:
    """The changes one recorded decision publishes, in timeline order."""
    return [case_change(recorded.case, e, r) for e, r in _published_entries(recorded)]


def _published_entries(
    recorded: DecisionRecorded,
) -> Iterator[tuple[TimelineEntry, Referral | None]]:
    """The decision's entries a change is published for, each with its referral, if any."""
    by_id = {r.referral_id: r for r in recorded.referrals}
    for entry in recorded.entries:
        if entry.kind in _PUBLISHED:
            yield entry, by_id.get(entry.referral_id or "")


def status_change(changed: StatusChanged) -> CaseChangeV1:
    return case_change(changed.case, changed.entry, changed.referral)


def overdue_change(recorded: OverdueRecorded) -> CaseChangeV1:
    return case_change(recorded.case, recorded.entry, recorded.referral)


def case_change(case: Case, entry: TimelineEntry, referral: Referral | None) -> CaseChangeV1:
    """One timeline entry as a case change; referral fields come from the referral, if any."""
    return CaseChangeV1.model_validate(_change_fields(case, entry, referral))


def breach_alert(recorded: OverdueRecorded) -> SlaBreachAlertV1:
    referral = recorded.referral
    return SlaBreachAlertV1(
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        pathway=referral.pathway,
        receiving_actor=referral.receiving_actor,
        receiving_agency=referral.assigned_agency,
        urgency=referral.urgency,
        sla_hours=referral.sla_hours,
        status=referral.status,
        due_at=referral.due_at,
        detected_at=recorded.entry.at,
    )


def decision_messages(recorded: DecisionRecorded, *, at: datetime) -> list[OutboxMessage]:
    """The changes of `decision_changes`, serialised by `change_json` (every decision's path)."""
    case = recorded.case
    return [
        OutboxMessage(
            f"{case.case_id}/{entry.seq}",
            CASES_CHANGES,
            case.person_ref,
            change_json(case, entry, referral),
            at,
        )
        for entry, referral in _published_entries(recorded)
    ]


def change_json(case: Case, entry: TimelineEntry, referral: Referral | None) -> str:
    """`case_change(case, entry, referral).model_dump_json()`, written directly.

    A decision publishes three to five changes (4.8 on average for the mixed profile), and
    building and dumping a model for each cost about 41 µs per decision against 18 µs for
    this, out of the 200-odd µs of CPU the casework worker spends on one. Everything in a
    change is already valid: the refs and codes come from the decision, validated when it was
    consumed, the ids and sequences are generated here. The same keys in the same order and
    orjson's formatting give the same bytes (a test compares both on thousands of generated
    decisions and updates).
    """
    return orjson.dumps(_change_fields(case, entry, referral), option=orjson.OPT_UTC_Z).decode()


def _change_fields(case: Case, entry: TimelineEntry, referral: Referral | None) -> dict[str, Any]:
    """A change's fields, every one and in the contract's order (which `change_json` relies on)."""
    previous = entry.detail.get("from_status")
    reason = entry.detail.get("reason_code")
    return {
        "schema_version": 1,
        "case_id": case.case_id,
        "sequence": entry.seq,
        "kind": _PUBLISHED[entry.kind],
        "at": entry.at,
        "person_ref": case.person_ref,
        "household_ref": case.household_ref,
        "event_id": entry.event_id,
        "referral_id": referral.referral_id if referral else None,
        "pathway": referral.pathway if referral else None,
        "receiving_actor": referral.receiving_actor if referral else None,
        "receiving_agency": referral.assigned_agency if referral else None,
        "urgency": referral.urgency if referral else None,
        "status": referral.status if referral else None,
        "previous_status": previous if isinstance(previous, str) else None,
        "reason_code": reason if isinstance(reason, str) else None,
        "due_at": referral.due_at if referral else None,
        "ruleset_id": referral.provenance.ruleset_id if referral else None,
        "ruleset_version": referral.provenance.ruleset_version if referral else None,
    }


def status_messages(changed: StatusChanged, *, at: datetime) -> list[OutboxMessage]:
    return [change_message(status_change(changed), at=at)]


def overdue_messages(recorded: OverdueRecorded, *, at: datetime) -> list[OutboxMessage]:
    """The breach as a case change and as an alert, written together so both or neither go."""
    alert = breach_alert(recorded)
    key = alert.referral_id
    return [
        change_message(overdue_change(recorded), at=at),
        OutboxMessage(f"{key}/sla-breach", ALERTS, key, alert.model_dump_json(), at),
    ]


def change_message(change: CaseChangeV1, *, at: datetime) -> OutboxMessage:
    return OutboxMessage(
        f"{change.case_id}/{change.sequence}",
        CASES_CHANGES,
        change.person_ref,
        change.model_dump_json(),
        at,
    )
