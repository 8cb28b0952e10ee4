"""The cases API: cases, referrals and timelines for caseworkers and admins, and the directory.

Routes parse, call a function of `reads`, and shape the answer with `views`; authorisation is
one dependency per action (`Authenticator.allow`), agency scoping lives in `reads`. Errors are
problem+json: 404 for what does not exist or may not be seen, 409 for a refused transition.
"""

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import APIRouter, Depends, FastAPI, Query
from pydantic import AwareDatetime
from sqlalchemy import Engine

from schemas.codes import ReferralStatus
from schemas.decisions import PathwayCode
from services.adapters.clock import Clock, SystemClock
from services.adapters.db.case_queries import Position, ReferralFilter
from services.adapters.db.engine import create_engine_for
from services.adapters.db.tokens import TokenStore
from services.adapters.db.uow import SqlUnitOfWork, session_factory_for
from services.adapters.http.auth import Authenticator
from services.adapters.http.problems import ApiProblem, install_problem_handlers
from services.adapters.settings import CaseworkSettings, Settings
from services.casework import cursor, reads
from services.casework.directory import load_directory
from services.casework.views import (
    CASE_ID,
    REFERRAL_ID,
    AgencyFilter,
    AssignmentView,
    CaseSummary,
    CaseView,
    Page,
    ReferralView,
    StatusUpdateRequest,
    case_summary,
    case_view,
    referral_view,
)
from services.domain.access import Principal
from services.domain.directory import Directory, resolve
from services.domain.errors import StaleReferralError, TransitionError


@dataclass(frozen=True)
class Ports:
    """What every route of this API is given: storage, time, authentication, limits."""

    uow: Callable[[], SqlUnitOfWork]
    clock: Clock
    auth: Authenticator
    config: CaseworkSettings


def create_api(
    settings: Settings, *, clock: Clock | None = None, engine: Engine | None = None
) -> FastAPI:
    """The cases API wired to the configured database (or `engine`) and clock."""
    clock = clock or SystemClock()
    owned = engine is None
    db = engine or create_engine_for(settings.effective_database_url)
    sessions = session_factory_for(db)
    tokens = TokenStore(db, settings.token_pepper.get_secret_value().encode())
    ports = Ports(
        lambda: SqlUnitOfWork(sessions), clock, Authenticator(tokens, clock), settings.casework
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            db.dispose()

    app = FastAPI(
        title="mixflow cases API",
        version="1",
        description="Cases, referrals and timelines for receiving agencies; the directory.",
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    app.include_router(case_routes(ports))
    app.include_router(referral_routes(ports))
    app.include_router(directory_routes(load_directory(settings.casework.directory_file), ports))
    return app


def referral_filter(
    pathway: PathwayCode | None = None,
    status: ReferralStatus | None = None,
    overdue: bool | None = None,
    agency: AgencyFilter | None = None,
    since: AwareDatetime | None = Query(None, description="issued (cases: opened) at or after"),
    until: AwareDatetime | None = Query(None, description="issued (cases: opened) before"),
) -> ReferralFilter:
    return ReferralFilter(agency, pathway, status, overdue, since, until)


def _position(kind: str, value: str | None) -> Position | None:
    if value is None:
        return None
    try:
        return cursor.decode(kind, value)
    except cursor.CursorError as exc:
        raise ApiProblem(422, "Invalid cursor", str(exc)) from None


def _not_found(what: str) -> ApiProblem:
    return ApiProblem(404, "Not found", f"no {what} with this id")


def case_routes(ports: Ports) -> APIRouter:
    router = APIRouter(prefix="/v1/cases", tags=["cases"])
    reader = ports.auth.allow("read_cases")

    @router.get("", response_model=Page[CaseSummary])
    def list_cases(
        principal: Principal = Depends(reader),
        where: ReferralFilter = Depends(referral_filter),
        cursor_: str | None = Query(None, alias="cursor"),
        limit: int = Query(ports.config.page_size, ge=1, le=ports.config.max_page_size),
    ) -> Page[CaseSummary]:
        """Cases with a referral matching every filter, newest first."""
        after = _position("c", cursor_)
        now = ports.clock.now()
        found = reads.list_cases(ports.uow(), principal, where, now=now, after=after, limit=limit)
        last = found[-1] if len(found) == limit else None
        next_cursor = cursor.encode("c", Position(last.opened_at, last.case_id)) if last else None
        return Page(items=[case_summary(c) for c in found], next_cursor=next_cursor)

    @router.get("/{case_id}", response_model=CaseView)
    def read_case(case_id: str, principal: Principal = Depends(reader)) -> CaseView:
        """A case with its referrals, its timeline and the linked cases of its household."""
        if not _matches(CASE_ID, case_id):
            raise _not_found("case")
        now = ports.clock.now()
        try:
            case, referrals, timeline, linked = reads.read_case(
                ports.uow(), principal, case_id, now=now
            )
        except reads.NotVisible:
            raise _not_found("case") from None
        return case_view(principal, case, referrals, timeline, linked, now=now)

    return router


def referral_routes(ports: Ports) -> APIRouter:
    router = APIRouter(prefix="/v1/referrals", tags=["referrals"])
    reader = ports.auth.allow("read_cases")
    updater = ports.auth.allow("update_referrals")

    @router.get("", response_model=Page[ReferralView])
    def list_referrals(
        principal: Principal = Depends(reader),
        where: ReferralFilter = Depends(referral_filter),
        cursor_: str | None = Query(None, alias="cursor"),
        limit: int = Query(ports.config.page_size, ge=1, le=ports.config.max_page_size),
    ) -> Page[ReferralView]:
        """Referrals matching every filter, newest first; a caseworker sees their agency's."""
        after = _position("r", cursor_)
        now = ports.clock.now()
        found = reads.list_referrals(
            ports.uow(), principal, where, now=now, after=after, limit=limit
        )
        last = found[-1] if len(found) == limit else None
        position = Position(last.issued_at, last.referral_id) if last else None
        return Page(
            items=[referral_view(r, now) for r in found],
            next_cursor=cursor.encode("r", position) if position else None,
        )

    @router.get("/{referral_id}", response_model=ReferralView)
    def read_referral(referral_id: str, principal: Principal = Depends(reader)) -> ReferralView:
        if not _matches(REFERRAL_ID, referral_id):
            raise _not_found("referral")
        now = ports.clock.now()
        try:
            return referral_view(
                reads.read_referral(ports.uow(), principal, referral_id, now=now), now
            )
        except reads.NotVisible:
            raise _not_found("referral") from None

    @router.post("/{referral_id}/status", response_model=ReferralView)
    def update_status(
        referral_id: str, body: StatusUpdateRequest, principal: Principal = Depends(updater)
    ) -> ReferralView:
        """Move the referral to `status`; 409 with the reason when its lifecycle forbids it."""
        if not _matches(REFERRAL_ID, referral_id):
            raise _not_found("referral")
        now = ports.clock.now()
        try:
            referral = reads.update_status(
                ports.uow, principal, referral_id, body.status, body.reason_code, now=now
            )
        except reads.NotVisible:
            raise _not_found("referral") from None
        except TransitionError as exc:
            detail = f"{exc.from_status} -> {exc.to_status}: {exc.reason}"
            raise ApiProblem(409, "Transition refused", detail) from None
        except StaleReferralError:
            raise ApiProblem(
                409, "Changed concurrently", "re-read the referral and retry"
            ) from None
        return referral_view(referral, now)

    return router


def directory_routes(directory: Directory, ports: Ports) -> APIRouter:
    router = APIRouter(prefix="/v1/directory", tags=["directory"])
    anyone = ports.auth.principal

    @router.get("", response_model=Directory)
    def read_directory(_: Principal = Depends(anyone)) -> Directory:
        """The service directory in force: receiving agencies by country, region and pathway."""
        return directory

    @router.get("/resolve", response_model=AssignmentView)
    def resolve_agency(
        pathway: PathwayCode,
        country: str = Query(pattern=r"^[A-Z]{3}$"),
        admin1: str | None = Query(None, pattern=r"^[A-Z0-9-]{1,16}$"),
        _: Principal = Depends(anyone),
    ) -> AssignmentView:
        """The agency a referral to `pathway` in `country` (and `admin1`) is assigned to."""
        assignment = resolve(directory, pathway, country, admin1)
        return AssignmentView(
            pathway=pathway,
            country=country,
            admin1=admin1,
            agency=assignment.agency,
            fallback=assignment.fallback,
        )

    return router


def _matches(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value) is not None
