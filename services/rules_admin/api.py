"""The rules API: operators draft, check, compare, simulate, approve, publish and roll back.

Every route needs a token whose role may `manage_rules` (the audit log: `read_audit`); any other
caller gets 401/403 and the attempt is audited. Routes parse, call `RulesAdmin`, return.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from kafka import KafkaProducer
from sqlalchemy import Engine

from services.adapters.clock import Clock, SystemClock
from services.adapters.db.engine import create_engine_for
from services.adapters.db.tokens import TokenStore
from services.adapters.http.auth import Authenticator
from services.adapters.http.health import broker_check, database_check, health_router
from services.adapters.http.problems import PROBLEM_JSON, ApiProblem, install_problem_handlers
from services.adapters.settings import Settings
from services.domain.access import Action, may
from services.domain.rules import lint_text
from services.domain.ruleset_admin import ImpactReport, Refused, RulesetDiff
from services.rules_admin.handlers import PublishFailed, RulesAdmin, target_of
from services.rules_admin.publisher import KafkaRulesPublisher
from services.rules_admin.samples import TopicSample
from services.rules_admin.simulation import run_simulation
from services.rules_admin.store import Actor, RulesetStore
from services.rules_admin.views import (
    AuditView,
    CheckedView,
    Reason,
    RollbackRequest,
    RulesetText,
    SimulationRequest,
    VersionView,
    audit_view,
    checked_view,
    version_view,
)

STATUS_OF = {"not_found": 404, "forbidden": 403, "conflict": 409, "invalid": 422}


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class Guard:
    """One dependency per permission; refusals are audited with who, what and from where."""

    def __init__(self, auth: Authenticator, admin: RulesAdmin) -> None:
        self.auth, self.admin = auth, admin

    def __call__(self, action: Action) -> Any:
        def dependency(request: Request) -> Actor:
            address = client_address(request)
            target = target_of(str(request.path_params.get("ruleset_id", "*"))[:80])
            try:
                principal = self.auth.principal(request)
            except ApiProblem as exc:
                anonymous = Actor("anonymous", "none", address, "api")
                self.admin.refused(anonymous, "access", target, exc.title, path=request.url.path)
                raise
            actor = Actor(principal.actor, principal.role, address, "api")
            if not may(principal, action):
                reason = f"role {principal.role} may not {action}"
                self.admin.refused(actor, "access", target, reason, path=request.url.path)
                raise ApiProblem(403, "Forbidden", reason)
            return actor

        return Depends(dependency)


def _refusal(exc: Refused) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": "Refused",
        "status": STATUS_OF[exc.kind],
        "detail": exc.reason,
    }
    if exc.findings:
        body["findings"] = [f.model_dump() for f in exc.findings]
        body["rendered"] = [f.render() for f in exc.findings]
    return JSONResponse(body, status_code=STATUS_OF[exc.kind], media_type=PROBLEM_JSON)


def _install_handlers(app: FastAPI) -> None:
    install_problem_handlers(app)

    @app.exception_handler(Refused)
    async def _refused(_: Request, exc: Refused) -> JSONResponse:
        return _refusal(exc)

    @app.exception_handler(PublishFailed)
    async def _failed(_: Request, exc: PublishFailed) -> JSONResponse:
        body = {"type": "about:blank", "title": "Not published", "status": 503, "detail": str(exc)}
        return JSONResponse(
            body, status_code=503, media_type=PROBLEM_JSON, headers={"Retry-After": "5"}
        )


def create_api(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    producer: KafkaProducer | None = None,
) -> FastAPI:
    """The rules API over the configured database and broker (or the ones passed in)."""
    clock = clock or SystemClock()
    engine = engine or create_engine_for(settings.effective_database_url)
    publisher = KafkaRulesPublisher(settings.kafka, producer)
    admin = RulesAdmin(RulesetStore(engine), publisher, clock, four_eyes=settings.four_eyes)
    pepper = settings.token_pepper.get_secret_value().encode()
    guard = Guard(Authenticator(TokenStore(engine, pepper), clock), admin)
    manage, audit_reader = guard("manage_rules"), guard("read_audit")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        publisher.close()

    app = FastAPI(title="mixflow rules API", version="1", lifespan=lifespan)
    _install_handlers(app)
    app.include_router(
        health_router({"database": database_check(engine), "broker": broker_check(settings.kafka)})
    )

    @app.get("/rulesets")
    def rulesets(actor: Annotated[Actor, manage]) -> list[dict[str, Any]]:
        actives = {ruleset_id: admin.active(ruleset_id) for ruleset_id in admin.ruleset_ids()}
        return [
            {"ruleset_id": ruleset_id, "active_version": active.version if active else None}
            for ruleset_id, active in actives.items()
        ]

    @app.post("/rulesets/validate")
    def validate(body: RulesetText, actor: Annotated[Actor, manage]) -> dict[str, Any]:
        findings = lint_text(body.yaml, body.file)
        return {
            "errors": sum(f.severity == "error" for f in findings),
            "findings": [f.model_dump() for f in findings],
            "rendered": [f.render() for f in findings],
        }

    @app.post("/rulesets/drafts", status_code=201)
    def create_draft(body: RulesetText, actor: Annotated[Actor, manage]) -> CheckedView:
        checked = admin.create_draft(body.yaml, body.file, body.comment, actor)
        return checked_view(checked.version, checked.findings)

    @app.get("/rulesets/{ruleset_id}/versions")
    def history(ruleset_id: str, actor: Annotated[Actor, manage]) -> list[VersionView]:
        return [version_view(v) for v in admin.history(ruleset_id)]

    @app.get("/rulesets/{ruleset_id}/versions/{version}")
    def version(ruleset_id: str, version: int, actor: Annotated[Actor, manage]) -> dict[str, Any]:
        checked = admin.get(ruleset_id, version)
        view = checked_view(checked.version, checked.findings).model_dump(mode="json")
        return {**view, "yaml": checked.version.source, "file": checked.version.source_file}

    @app.put("/rulesets/{ruleset_id}/versions/{version}")
    def revise(
        ruleset_id: str, version: int, body: RulesetText, actor: Annotated[Actor, manage]
    ) -> CheckedView:
        checked = admin.revise_draft(ruleset_id, version, body.yaml, body.file, body.comment, actor)
        return checked_view(checked.version, checked.findings)

    @app.get("/rulesets/{ruleset_id}/versions/{version}/diff")
    def diff(
        ruleset_id: str,
        version: int,
        actor: Annotated[Actor, manage],
        against: Annotated[int | None, Query(ge=1)] = None,
    ) -> RulesetDiff:
        return admin.diff(ruleset_id, version, against)

    @app.post("/rulesets/{ruleset_id}/versions/{version}/simulate")
    def simulate(
        ruleset_id: str, version: int, body: SimulationRequest, actor: Annotated[Actor, manage]
    ) -> ImpactReport:
        bounds = settings.rules_admin
        limit = min(body.limit or bounds.simulation_max_events, bounds.simulation_max_events)
        candidate = admin.candidate(ruleset_id, version)
        sample = TopicSample(settings.kafka, limit, clock.now())
        report = run_simulation(
            sample,
            candidate,
            admin.baseline(ruleset_id),
            max_events=limit,
            time_budget_s=bounds.simulation_time_budget_s,
            examples=bounds.simulation_examples,
        )
        admin.record_simulation(actor, report, source=sample.topic)
        return report

    @app.post("/rulesets/{ruleset_id}/versions/{version}/approve")
    def approve(
        ruleset_id: str, version: int, body: Reason, actor: Annotated[Actor, manage]
    ) -> VersionView:
        return version_view(admin.approve(ruleset_id, version, body.comment, actor))

    @app.post("/rulesets/{ruleset_id}/versions/{version}/publish")
    def publish(
        ruleset_id: str, version: int, body: Reason, actor: Annotated[Actor, manage]
    ) -> VersionView:
        return version_view(admin.publish(ruleset_id, version, body.comment, actor))

    @app.post("/rulesets/{ruleset_id}/rollback")
    def rollback(
        ruleset_id: str, body: RollbackRequest, actor: Annotated[Actor, manage]
    ) -> VersionView:
        return version_view(admin.rollback(ruleset_id, body.to_version, body.comment, actor))

    @app.get("/audit")
    def audit(
        actor: Annotated[Actor, audit_reader],
        ruleset_id: str | None = None,
        after: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[AuditView]:
        target = target_of(ruleset_id) if ruleset_id else None
        records = admin.store.audit_entries(target=target, after_id=after, limit=limit)
        return [audit_view(r) for r in records]

    return app
