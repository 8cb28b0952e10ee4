"""Liveness and readiness endpoints every API mounts: `/healthz/live`, `/healthz/ready`.

Live means the process answers; ready means the broker and the database it needs answer too,
so a load balancer stops sending requests that could only fail. Checks are cached for a few
seconds: probes arrive often and a broker round trip is not free.
"""

import time
from collections.abc import Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text

from services.adapters.settings import KafkaSettings

Check = Callable[[], bool]


def database_check(engine: Engine) -> Check:
    def check() -> bool:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception:  # any driver error means "not ready", never a failed probe
            return False

    return check


def broker_check(settings: KafkaSettings) -> Check:
    def check() -> bool:
        from services.adapters.local_kafka import serves_metadata

        return serves_metadata(settings.bootstrap, timeout_s=2.0)

    return check


def _cached(check: Check, ttl_s: float) -> Check:
    state: dict[str, float | bool] = {"at": 0.0, "ok": False}

    def cached() -> bool:
        if time.monotonic() - float(state["at"]) > ttl_s:
            state["ok"], state["at"] = check(), time.monotonic()
        return bool(state["ok"])

    return cached


def health_router(checks: dict[str, Check], *, ttl_s: float = 5.0) -> APIRouter:
    router = APIRouter(tags=["health"])
    cached = {name: _cached(check, ttl_s) for name, check in checks.items()}

    @router.get("/healthz/live")
    def live() -> dict[str, str]:
        return {"status": "live"}

    @router.get("/healthz/ready")
    def ready() -> JSONResponse:
        results = {name: check() for name, check in cached.items()}
        status = 200 if all(results.values()) else 503
        body = {"status": "ready" if status == 200 else "not ready", "checks": results}
        return JSONResponse(body, status_code=status)

    return router
