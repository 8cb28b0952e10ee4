"""Random input to every API: no 5xx, and every refusal is problem+json that says why.

Query parameters are read from each route (its own and its dependencies'), so a new parameter
is fuzzed without touching this file; referral status updates get random bodies; agency
scoping holds for a referral that exists.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from httpx import Response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.adapters.db.uow import SqlUnitOfWork, session_factory_for
from services.domain.cases import apply_decisions
from services.domain.cases.ids import referral_id_for
from tests.integration.security.conftest import Apis
from tests.integration.security.fuzz import JSON, QUERY_VALUE
from tests.integration.security.test_access_matrix import SAMPLES, api_routes, required
from tests.reliability.pipeline import rounds
from tests.unit.cases.builders import T0, decision, person, shipped_directory

EXAMPLES = 40 * rounds()
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
EXTRA_PARAMS = ("country", "sex", "age_band", "x", "granularity", "measure")


def _query_names(dependant: Dependant) -> Iterator[str]:
    for param in dependant.query_params:
        yield param.alias
    for sub in dependant.dependencies:
        yield from _query_names(sub)


def get_routes(apis: Apis) -> list[tuple[str, str, list[str]]]:
    """(api, concrete path, query parameter names) of every protected GET route."""
    found = []
    for name, client in apis.clients.items():
        for template, route in api_routes(client.app.routes):
            if "GET" in route.methods and required(route) is not None:
                path = template.format(**SAMPLES)
                found.append((name, path, sorted(set(_query_names(route.dependant)))))
    return found


def assert_refused_with_a_reason(answer: Response) -> None:
    assert answer.status_code < 500, (answer.request.url, answer.text[:500])
    if answer.status_code >= 400:
        assert answer.headers["content-type"].startswith("application/problem+json"), answer.text
        body = answer.json()
        listed = (body.get("errors") or []) + (body.get("problems") or [])
        reasons = [body.get("detail")] + [p.get("reason") for p in listed]
        assert any(reasons), answer.text


def test_every_protected_get_route_has_its_query_parameters_fuzzed(apis: Apis) -> None:
    routes = get_routes(apis)
    assert sum(len(names) for *_, names in routes) >= 15
    with_params = {path for _, path, names in routes if names}
    assert {"/v1/cases", "/v1/referrals", "/flows/table", "/audit"} <= with_params


@FUZZ
@given(data=st.data())
def test_random_query_parameters_of_every_api_never_cause_a_5xx(
    apis: Apis, data: st.DataObject
) -> None:
    for api, path, names in get_routes(apis):
        chosen = data.draw(st.lists(st.sampled_from([*names, *EXTRA_PARAMS]), max_size=5))
        params = [(name, data.draw(QUERY_VALUE)) for name in chosen]
        answer = apis.clients[api].get(path, params=params, headers=apis.headers("admin"))
        assert_refused_with_a_reason(answer)


@pytest.fixture
def referral(apis: Apis) -> str:
    """An asylum referral assigned to ITA-MOI (caseworker A), not to UNHCR (caseworker B)."""
    d = decision("e1", person(1), decided_at=T0)
    uow = SqlUnitOfWork(session_factory_for(apis.engine))
    apply_decisions(uow, [d], directory=shipped_directory(), now=T0)
    return referral_id_for(d.decision_id, "ASYLUM_PROCEDURE")


BODIES = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {"status": st.sampled_from(["accepted", "declined", "completed", "closed", "issued"])},
        optional={
            "reason_code": st.text(max_size=20) | st.none() | st.integers(-(2**70), 2**70),
            "x": JSON,
        },
    ),
)


@FUZZ
@given(body=BODIES)
def test_random_bodies_to_the_referral_status_endpoint_are_applied_or_refused_with_a_reason(
    apis: Apis, referral: str, body: Any
) -> None:
    for who in ("caseworker A", "admin"):
        answer = apis.clients["cases"].post(
            f"/v1/referrals/{referral}/status", json=body, headers=apis.headers(who)
        )
        assert_refused_with_a_reason(answer)
        assert answer.status_code in {200, 404, 409, 422}, answer.text


def test_a_caseworker_of_another_agency_neither_sees_nor_updates_the_referral(
    apis: Apis, referral: str
) -> None:
    cases = apis.clients["cases"]
    own = cases.get(f"/v1/referrals/{referral}", headers=apis.headers("caseworker A"))
    other = cases.get(f"/v1/referrals/{referral}", headers=apis.headers("caseworker B"))
    update = cases.post(
        f"/v1/referrals/{referral}/status",
        json={"status": "accepted"},
        headers=apis.headers("caseworker B"),
    )
    assert own.status_code == 200, own.text
    assert (other.status_code, update.status_code) == (404, 404)
    listed = cases.get("/v1/referrals", headers=apis.headers("caseworker B")).json()
    assert referral not in {item["referral_id"] for item in listed["items"]}
