"""Every endpoint of every API, called by every role, allows exactly who `ALLOWED` says.

Endpoints are enumerated from each app's routes and the action each one requires is read from
its authorisation dependency, so a new endpoint is covered (and an endpoint without any check is
caught) without touching this file. Denied means 401 without a token, 403 or 404 with one.
Expired and revoked tokens are refused; no secret (token, pepper, database password) ever shows
up in a response or a log line.
"""

import inspect
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy.engine import make_url

from services.adapters.http.auth import Authenticator
from services.domain.access import ALLOWED, ROLES
from tests.integration.security.conftest import CALLERS, PEPPER, Apis

AUTHENTICATED = "any role"
PUBLIC_PATHS = {"/healthz", "/healthz/live", "/healthz/ready", "/health", "/", "/dashboard"}
SAMPLES = {
    "case_id": "c_0123456789abcdef0123456789abcdef",
    "referral_id": "r_0123456789abcdef0123456789abcdef",
    "ruleset_id": "default",
    "version": "1",
}
QUERIES = {"/v1/directory/resolve": {"pathway": "ASYLUM_PROCEDURE", "country": "ITA"}}
DENIED_WITH_TOKEN = {403, 404}


def _dependencies(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _dependencies(sub)


def required(route: APIRoute) -> str | None:
    """The action a route's authorisation dependency checks, AUTHENTICATED, or None (public)."""
    for call in _dependencies(route.dependant):
        if inspect.isfunction(call):
            action = inspect.getclosurevars(call).nonlocals.get("action")
            if action in ALLOWED:
                return str(action)
        if getattr(call, "__func__", None) is Authenticator.principal:
            return AUTHENTICATED
    return None


def api_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """(full path, route) of every API route, inside included routers too."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):  # FastAPI >= 0.165 keeps included routers whole
            inner = prefix + (getattr(route.include_context, "prefix", "") or "")
            yield from api_routes(route.original_router.routes, inner)


def endpoints(apis: Apis) -> list[tuple[str, str, str, str | None]]:
    """(api, method, concrete path, required action) of every route of every API."""
    found = []
    for name, client in apis.clients.items():
        for template, route in api_routes(client.app.routes):
            path = re.sub(r"\{(\w+)\}", lambda m: SAMPLES[m.group(1)], template)
            found += [(name, m, path, required(route)) for m in sorted(route.methods)]
    return found


def may(caller: str, action: str | None) -> bool:
    who = CALLERS[caller]
    if action is None:
        return True
    if who is None:
        return False
    return action == AUTHENTICATED or who[1] in ALLOWED[action]  # type: ignore[index]


def test_every_endpoint_allows_exactly_the_roles_of_the_matrix(
    apis: Apis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    routes = endpoints(apis)
    public = {path for _, _, path, action in routes if action is None}
    assert public <= PUBLIC_PATHS, f"endpoints without an authorisation check: {public}"
    assert {a for *_, a in routes} >= set(ALLOWED) - {"read_deadletters", "manage_tokens"}
    answers, wrong = [], []
    for api, method, path, action in routes:
        if action is None:
            continue  # health and the dashboard's page: public by design, checked above
        for caller in CALLERS:
            body = {} if method in {"POST", "PUT", "PATCH"} else None
            answer = apis.clients[api].request(
                method, path, json=body, headers=apis.headers(caller), params=QUERIES.get(path)
            )
            answers.append(answer.text)
            status, allowed = answer.status_code, may(caller, action)
            if allowed and (status in {401, 403} or status >= 500):
                wrong.append((api, method, path, caller, status, "should be allowed"))
            if not allowed:
                expected = {401} if CALLERS[caller] is None else DENIED_WITH_TOKEN
                if status not in expected:
                    wrong.append((api, method, path, caller, status, f"should be {expected}"))
                if "json" not in answer.headers.get("content-type", ""):
                    wrong.append((api, method, path, caller, status, "refusal not problem+json"))
    assert not wrong, wrong
    checked = sum(1 for *_, a in routes if a is not None) * len(CALLERS)
    assert checked >= 150
    _assert_no_secret(apis, answers + [r.getMessage() for r in caplog.records])


def test_expired_and_revoked_tokens_are_refused_everywhere_and_say_why(
    apis: Apis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    past = datetime.now(UTC) - timedelta(days=2)
    expired = apis.store.create("UNHCR", "admin", now=past, ttl=timedelta(hours=1))
    revoked = apis.store.create("UNHCR", "admin", now=datetime.now(UTC))
    assert apis.store.revoke(revoked.principal.token_id, now=datetime.now(UTC))
    answers = []
    for api, method, path, action in endpoints(apis):
        if action is None:
            continue
        for issued in (expired, revoked):
            answer = apis.clients[api].request(
                method,
                path,
                json={} if method != "GET" else None,
                headers={"Authorization": f"Bearer {issued.token}"},
                params=QUERIES.get(path),
            )
            assert answer.status_code == 401, (api, method, path, answer.text)
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert answer.json()["detail"], answer.text
            answers.append(answer.text)
    _assert_no_secret(apis, answers + [r.getMessage() for r in caplog.records])
    assert expired.token not in caplog.text and revoked.token not in caplog.text


def test_a_publisher_may_publish_only_for_its_own_agency(apis: Apis) -> None:
    from tests.integration.security.fuzz import valid_event

    client = apis.clients["ingest"]
    own = client.post("/v1/events", json=valid_event(), headers=apis.headers("publisher A"))
    other = client.post("/v1/events", json=valid_event(), headers=apis.headers("publisher B"))
    assert own.status_code == 202, own.text
    assert other.status_code in {403, 422}, other.text
    assert "agency" in other.text


def _assert_no_secret(apis: Apis, texts: list[str]) -> None:
    password = make_url(str(apis.settings.database_url)).password
    secrets = [PEPPER, *apis.tokens.values()] + ([password] if password else [])
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"a secret leaked into: {text[:300]}"


def test_roles_of_the_matrix_are_the_roles_tokens_can_hold() -> None:
    roles = {who[1] for who in CALLERS.values() if who is not None}
    assert roles == set(ROLES)
