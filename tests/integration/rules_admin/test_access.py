"""Only operators (and admins) manage rules; every refused attempt is in the audit log."""

import re

from fastapi.routing import APIRoute
from sqlalchemy import text

from tests.integration.rules_admin.conftest import RulesApi
from tests.unit.ruleset_admin.variants import DEFAULT_YAML


def _endpoints(api: RulesApi) -> list[tuple[str, str]]:
    routes = [
        r for r in api.client.app.routes if isinstance(r, APIRoute) and "healthz" not in r.path
    ]
    return [
        (method, re.sub(r"\{ruleset_id\}", "default", re.sub(r"\{version\}", "1", r.path)))
        for r in routes
        for method in sorted(r.methods)
    ]


BODIES = {"/rulesets/default/rollback": {"to_version": 1}}


def test_non_operators_get_403_and_callers_without_a_token_401_on_every_rules_endpoint(
    offline_rules_api: RulesApi,
) -> None:
    api = offline_rules_api
    endpoints = _endpoints(api)
    assert len(endpoints) == 12
    for who in ("caseworker", "monitor", "publisher"):
        for method, path in endpoints:
            body = BODIES.get(path, {"yaml": DEFAULT_YAML} if method in ("POST", "PUT") else None)
            answer = api.client.request(method, path, json=body, headers=api.as_(who))
            assert answer.status_code == 403, (who, method, path)
    for method, path in endpoints:
        assert api.client.request(method, path).status_code == 401
    with api.engine.connect() as connection:
        refused = connection.execute(
            text(
                "SELECT role, count(*) FROM audit_log"
                " WHERE action = 'rules.access.refused' GROUP BY role"
            )
        ).all()
    assert dict(refused) == {"caseworker": 12, "monitor": 12, "publisher": 12, "none": 12}


def test_an_author_cannot_approve_their_own_draft_and_the_attempt_is_audited(
    offline_rules_api: RulesApi,
) -> None:
    api = offline_rules_api
    created = api.client.post(
        "/rulesets/drafts", json={"yaml": DEFAULT_YAML}, headers=api.as_("ana")
    )
    number = created.json()["version"]["version"]
    own = api.client.post(
        f"/rulesets/default/versions/{number}/approve", json={}, headers=api.as_("ana")
    )
    assert own.status_code == 403
    audit = api.client.get("/audit", headers=api.as_("ben")).json()
    assert [e["action"] for e in audit] == ["rules.draft", "rules.approve.refused"]
    assert "four-eyes" in audit[1]["detail"]["reason"]


def test_a_draft_that_does_not_parse_is_refused_with_located_findings(
    offline_rules_api: RulesApi,
) -> None:
    api = offline_rules_api
    answer = api.client.post(
        "/rulesets/drafts",
        json={"yaml": "id: default\nversion: [\n", "file": "x.yaml"},
        headers=api.as_("ana"),
    )
    assert answer.status_code == 422
    assert answer.json()["rendered"][0].startswith("x.yaml:")
