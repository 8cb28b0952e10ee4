"""Rows to domain values and back: the one place both shapes meet."""

from datetime import datetime
from typing import Any, cast

from psycopg.types.json import Jsonb

from schemas.codes import Framework, ReferralStatus, Urgency
from schemas.decisions import PathwayCode, ReceivingActorKind
from services.adapters.db.tables import AuditLogRow, CaseRow, ReferralRow, TimelineRow
from services.domain.cases.model import (
    AuditEntry,
    Case,
    Provenance,
    Referral,
    TimelineEntry,
    TimelineKind,
)


def case_values(case: Case) -> dict[str, Any]:
    return {
        "case_id": case.case_id,
        "person_ref": case.person_ref,
        "household_ref": case.household_ref,
        "opened_at": case.opened_at,
        "updated_at": case.updated_at,
        "last_seq": case.last_seq,
    }


def case_from(row: CaseRow) -> Case:
    return Case(
        row.case_id, row.person_ref, row.household_ref, row.opened_at, row.updated_at, row.last_seq
    )


def referral_values(referral: Referral) -> dict[str, Any]:
    p = referral.provenance
    return {
        "referral_id": referral.referral_id,
        "case_id": referral.case_id,
        "person_ref": referral.person_ref,
        "decision_id": referral.decision_id,
        "pathway": referral.pathway,
        "framework": referral.framework,
        "receiving_actor": referral.receiving_actor,
        "assigned_agency": referral.assigned_agency,
        "assignment_fallback": referral.assignment_fallback,
        "urgency": referral.urgency,
        "sla_hours": referral.sla_hours,
        "issued_at": referral.issued_at,
        "due_at": referral.due_at,
        "status": referral.status,
        "status_changed_at": referral.status_changed_at,
        "alerted_at": referral.alerted_at,
        "ruleset_id": p.ruleset_id,
        "ruleset_version": p.ruleset_version,
        "ruleset_digest": p.ruleset_digest,
        "rule_id": p.rule_id,
        "matched": list(p.matched),
        "safeguard": p.safeguard,
    }


def referral_from(row: ReferralRow) -> Referral:
    # The columns hold only values the domain wrote (and a CHECK guards status), so the casts
    # restate the closed types rather than validate them.
    return Referral(
        referral_id=row.referral_id,
        case_id=row.case_id,
        person_ref=row.person_ref,
        decision_id=row.decision_id,
        pathway=cast(PathwayCode, row.pathway),
        framework=cast(Framework, row.framework),
        receiving_actor=cast(ReceivingActorKind, row.receiving_actor),
        assigned_agency=row.assigned_agency,
        assignment_fallback=row.assignment_fallback,
        urgency=cast(Urgency, row.urgency),
        sla_hours=row.sla_hours,
        issued_at=row.issued_at,
        due_at=row.due_at,
        status=cast(ReferralStatus, row.status),
        status_changed_at=row.status_changed_at,
        alerted_at=row.alerted_at,
        provenance=Provenance(
            row.ruleset_id,
            row.ruleset_version,
            row.ruleset_digest,
            row.rule_id,
            tuple(row.matched),
            row.safeguard,
        ),
    )


def timeline_values(entry: TimelineEntry) -> dict[str, Any]:
    return {
        "case_id": entry.case_id,
        "seq": entry.seq,
        "kind": entry.kind,
        "at": entry.at,
        "referral_id": entry.referral_id,
        "event_id": entry.event_id,
        "detail": dict(entry.detail),
    }


def timeline_from(row: TimelineRow) -> TimelineEntry:
    return TimelineEntry(
        row.case_id,
        row.seq,
        cast(TimelineKind, row.kind),
        row.at,
        row.referral_id,
        row.event_id,
        dict(row.detail),
    )


def audit_values(entry: AuditEntry) -> dict[str, Any]:
    return {
        "actor": entry.actor,
        "role": entry.role,
        "action": entry.action,
        "target": entry.target,
        "at": entry.at,
        "detail": dict(entry.detail),
    }


def audit_from(row: AuditLogRow) -> AuditEntry:
    return AuditEntry(row.actor, row.role, row.action, row.target, row.at, dict(row.detail))


# Row tuples for COPY, in the column order below; JSON columns go as JSON text, and datetimes
# are checked here because COPY bypasses `UtcDateTime`'s refusal of naive values.
CASE_COLUMNS = ("case_id", "person_ref", "household_ref", "opened_at", "updated_at", "last_seq")
CASE_TYPES = ("text", "text", "text", "timestamptz", "timestamptz", "integer")
"""PostgreSQL types of `case_row`, for rows bound as arrays."""
_REFERRAL_WIRE = (
    ("referral_id", "text"),
    ("case_id", "text"),
    ("person_ref", "text"),
    ("decision_id", "text"),
    ("pathway", "text"),
    ("framework", "text"),
    ("receiving_actor", "text"),
    ("assigned_agency", "text"),
    ("assignment_fallback", "bool"),
    ("urgency", "text"),
    ("sla_hours", "int4"),
    ("issued_at", "timestamptz"),
    ("due_at", "timestamptz"),
    ("status", "text"),
    ("status_changed_at", "timestamptz"),
    ("alerted_at", "timestamptz"),
    ("ruleset_id", "text"),
    ("ruleset_version", "int4"),
    ("ruleset_digest", "text"),
    ("rule_id", "text"),
    ("matched", "jsonb"),
    ("safeguard", "bool"),
)
"""The columns of `referral_row`, in order, each with its wire type for a binary COPY; one table,
so a column added to one list cannot leave the other behind."""
REFERRAL_COLUMNS = tuple(column for column, _ in _REFERRAL_WIRE)
REFERRAL_TYPES = tuple(kind for _, kind in _REFERRAL_WIRE)
TIMELINE_COLUMNS = ("case_id", "seq", "kind", "at", "referral_id", "event_id", "detail")
TIMELINE_TYPES = ("text", "int4", "text", "timestamptz", "text", "text", "jsonb")
"""Wire types of `timeline_row` for a binary COPY (text goes into the varchar columns)."""


def aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"refusing to store a naive datetime: {value!r}")
    return value


def case_row(case: Case) -> tuple[Any, ...]:
    return (
        case.case_id,
        case.person_ref,
        case.household_ref,
        aware(case.opened_at),
        aware(case.updated_at),
        case.last_seq,
    )


def referral_row(referral: Referral) -> tuple[Any, ...]:
    p = referral.provenance
    alerted = referral.alerted_at
    return (
        referral.referral_id,
        referral.case_id,
        referral.person_ref,
        referral.decision_id,
        referral.pathway,
        referral.framework,
        referral.receiving_actor,
        referral.assigned_agency,
        referral.assignment_fallback,
        referral.urgency,
        referral.sla_hours,
        aware(referral.issued_at),
        aware(referral.due_at),
        referral.status,
        aware(referral.status_changed_at),
        aware(alerted) if alerted is not None else None,
        p.ruleset_id,
        p.ruleset_version,
        p.ruleset_digest,
        p.rule_id,
        Jsonb(p.matched),
        p.safeguard,
    )


def timeline_row(entry: TimelineEntry) -> tuple[Any, ...]:
    return (
        entry.case_id,
        entry.seq,
        entry.kind,
        aware(entry.at),
        entry.referral_id,
        entry.event_id,
        Jsonb(entry.detail),
    )
