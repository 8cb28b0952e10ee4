"""What the cases API does per request: scoped reads and status updates, each one audited.

Every read of case data appends an audit entry in the transaction that read it (actor, role,
action, target, time, and a detail of filters and counts, never personal data). Something a
caller may not see is reported exactly like something that does not exist (`NotVisible`), so
guessing ids reveals nothing.
"""

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime

from schemas.codes import ReferralUpdateStatus
from schemas.events.referral_update import ReferralUpdateData
from services.adapters.db.case_queries import Position, ReferralFilter
from services.adapters.db.uow import SqlUnitOfWork
from services.casework.views import visible_referrals
from services.domain.access import Principal, sees_agency
from services.domain.cases import AuditEntry, Case, Referral, TimelineEntry, apply_referral_update
from services.domain.cases.model import DetailValue
from services.domain.errors import DomainError, UnknownReferralError

UowFactory = Callable[[], SqlUnitOfWork]


class NotVisible(LookupError):
    """No such record, or not one the caller may see: the API answers both with 404."""


def scoped(principal: Principal, where: ReferralFilter) -> ReferralFilter | None:
    """The filter a principal may run: a caseworker's is pinned to their agency (None: empty)."""
    if principal.role == "admin":
        return where
    if where.agency not in (None, principal.agency):
        return None
    return ReferralFilter(**(asdict(where) | {"agency": principal.agency}))


def list_referrals(
    uow: SqlUnitOfWork,
    principal: Principal,
    where: ReferralFilter,
    *,
    now: datetime,
    after: Position | None,
    limit: int,
) -> list[Referral]:
    allowed = scoped(principal, where)
    with uow:
        found = uow.queries.referrals(allowed, now=now, after=after, limit=limit) if allowed else []
        _audit(uow, principal, "referrals.list", "referrals", now, _listing(where, after, found))
        uow.commit()
    return found


def list_cases(
    uow: SqlUnitOfWork,
    principal: Principal,
    where: ReferralFilter,
    *,
    now: datetime,
    after: Position | None,
    limit: int,
) -> list[Case]:
    allowed = scoped(principal, where)
    with uow:
        found = uow.queries.cases(allowed, now=now, after=after, limit=limit) if allowed else []
        _audit(uow, principal, "cases.list", "cases", now, _listing(where, after, found))
        uow.commit()
    return found


def read_case(
    uow: SqlUnitOfWork, principal: Principal, case_id: str, *, now: datetime
) -> tuple[Case, list[Referral], list[TimelineEntry], list[str]]:
    """The case, the referrals and timeline the caller may see, and linked visible cases."""
    with uow:
        case = uow.queries.case(case_id)
        referrals = visible_referrals(principal, uow.referrals.for_case(case_id)) if case else []
        if case is None or (principal.role != "admin" and not referrals):
            _audit(uow, principal, "case.read", case_id, now, {"outcome": "not_found"})
            uow.commit()
            raise NotVisible(case_id)
        timeline = uow.timeline.for_case(case_id)
        linked = _household(uow, principal, case)
        _audit(uow, principal, "case.read", case_id, now, {"outcome": "ok"})
        uow.commit()
    return case, referrals, timeline, linked


def read_referral(
    uow: SqlUnitOfWork, principal: Principal, referral_id: str, *, now: datetime
) -> Referral:
    with uow:
        referral = uow.referrals.get(referral_id)
        visible = referral is not None and sees_agency(principal, referral.assigned_agency)
        outcome = "ok" if visible else "not_found"
        _audit(uow, principal, "referral.read", referral_id, now, {"outcome": outcome})
        uow.commit()
    if referral is None or not visible:
        raise NotVisible(referral_id)
    return referral


def update_status(
    uow: UowFactory,
    principal: Principal,
    referral_id: str,
    status: ReferralUpdateStatus,
    reason_code: str | None,
    *,
    now: datetime,
) -> Referral:
    """Move a referral on for its agency (an admin acts for the assigned agency).

    Raises `NotVisible`, or the core's `TransitionError` / `StaleReferralError` with the reason.
    Refused attempts are audited as well as accepted ones.
    """
    current = read_referral(uow(), principal, referral_id, now=now)
    data = ReferralUpdateData(
        referral_id=referral_id,
        status=status,
        reason_code=reason_code,
        by_agency=current.assigned_agency,
    )
    detail: dict[str, DetailValue] = {"from_status": current.status, "to_status": status}
    try:
        changed = apply_referral_update(uow(), data, now=now)
    except UnknownReferralError:
        raise NotVisible(referral_id) from None
    except DomainError:
        _audit_alone(uow, principal, referral_id, now, detail | {"outcome": "refused"})
        raise
    _audit_alone(uow, principal, referral_id, now, detail | {"outcome": "ok"})
    return changed.referral if changed is not None else current


def _audit_alone(
    uow: UowFactory,
    principal: Principal,
    referral_id: str,
    now: datetime,
    detail: dict[str, DetailValue],
) -> None:
    with uow() as work:
        _audit(work, principal, "referral.update_status", referral_id, now, detail)
        work.commit()


def _household(uow: SqlUnitOfWork, principal: Principal, case: Case) -> list[str]:
    if case.household_ref is None:
        return []
    others = [c for c in uow.cases.household(case.household_ref) if c.case_id != case.case_id]
    if principal.role == "admin":
        return [c.case_id for c in others]
    return [
        c.case_id for c in others if visible_referrals(principal, uow.referrals.for_case(c.case_id))
    ]


def _listing(
    where: ReferralFilter, after: Position | None, found: list[Case] | list[Referral]
) -> dict[str, DetailValue]:
    filters = {k: v if v is None else str(v) for k, v in asdict(where).items()}
    return filters | {"results": len(found), "continued": after is not None}


def _audit(
    uow: SqlUnitOfWork,
    principal: Principal,
    action: str,
    target: str,
    at: datetime,
    detail: dict[str, DetailValue],
) -> None:
    uow.audit.append(AuditEntry(principal.actor, principal.role, action, target, at, detail))
