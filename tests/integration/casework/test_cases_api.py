"""The cases API over HTTP on PostgreSQL: scoping by agency, pages, timelines, updates, audit.

Cases are written by the case core itself (`apply_decisions`), as the worker would write them.
Tokens are created in the token store, as an admin would create them.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from services.adapters import local_postgres
from services.adapters.clock import FixedClock
from services.adapters.db.engine import create_engine_for
from services.adapters.db.migrate import migrate
from services.adapters.db.tokens import TokenStore
from services.adapters.db.uow import SqlUnitOfWork, session_factory_for
from services.adapters.settings import PostgresSettings, Settings
from services.casework.api import create_api
from services.domain.cases import apply_decisions
from services.domain.cases.ids import case_id_for, referral_id_for
from tests.unit.cases.builders import T0, decision, household, person, shipped_directory

NOW = T0 + timedelta(days=5)


@dataclass
class Api:
    client: TestClient
    engine: Engine
    tokens: dict[str, str]

    def get(self, path: str, who: str, **params: object):
        return self.client.get(path, params=params, headers=self.auth(who))

    def post(self, path: str, who: str, body: dict[str, object]):
        return self.client.post(path, json=body, headers=self.auth(who))

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def audit(self) -> list:
        with SqlUnitOfWork(session_factory_for(self.engine)) as uow:
            return uow.audit.entries()


@pytest.fixture(scope="module")
def pg_module_url(pg_server: PostgresSettings) -> Iterator[str]:
    """One database for the module: the tests below touch disjoint records."""
    with local_postgres.scratch_database(pg_server, "t") as url:
        yield url


@pytest.fixture(scope="module")
def api(pg_module_url: str) -> Iterator[Api]:
    pg_url = pg_module_url
    migrate(pg_url)
    engine = create_engine_for(pg_url)
    settings = Settings(database_url=pg_url)
    store = TokenStore(engine, settings.token_pepper.get_secret_value().encode())
    tokens = {
        name: store.create(agency, role, now=T0).token  # type: ignore[arg-type]
        for name, agency, role in (
            ("moi", "ITA-MOI", "caseworker"),  # receives ASYLUM_PROCEDURE in Italy
            ("unhcr", "UNHCR-ITA", "caseworker"),  # receives INFORMATION_COUNSELLING
            ("ssn", "ITA-SSN", "caseworker"),  # receives MEDICAL_CARE
            ("grc", "GRC-ASYLUM-SVC", "caseworker"),  # receives ASYLUM_PROCEDURE in Greece
            ("admin", "MIXFLOW", "admin"),
            ("monitor", "MIXFLOW", "monitor"),
        )
    }
    sessions = session_factory_for(engine)
    batch = [
        decision("e1", person(1), household_ref=household(1), decided_at=T0),
        decision(
            "e2",
            person(2),
            household_ref=household(1),
            decided_at=T0 + timedelta(hours=1),
            pathways=("MEDICAL_CARE",),
            sla_hours=24 * 30,
        ),
        *[
            decision(f"f{n}", person(100 + n), decided_at=T0 + timedelta(minutes=n))
            for n in range(7)
        ],
        # Updated by the update test, outside every other test's filters.
        decision(
            "g1", person(200), country="GRC", decided_at=T0 - timedelta(days=1), sla_hours=24 * 60
        ),
    ]
    apply_decisions(SqlUnitOfWork(sessions), batch, directory=shipped_directory(), now=T0)
    with TestClient(create_api(settings, clock=FixedClock(NOW), engine=engine)) as client:
        yield Api(client, engine, tokens)
    engine.dispose()


def asylum_of(event_id: str) -> str:
    return referral_id_for(decision(event_id, person(1)).decision_id, "ASYLUM_PROCEDURE")


def test_a_caseworker_of_another_agency_cannot_read_or_change_a_referral_even_by_guessing(api):
    referral = asylum_of("e1")
    assert api.get(f"/v1/referrals/{referral}", "moi").status_code == 200
    assert api.get(f"/v1/referrals/{referral}", "ssn").status_code == 404
    refused = api.post(f"/v1/referrals/{referral}/status", "ssn", {"status": "accepted"})
    assert refused.status_code == 404
    assert refused.headers["content-type"] == "application/problem+json"
    guessed = "r_" + "0" * 32
    assert api.get(f"/v1/referrals/{guessed}", "ssn").status_code == 404
    assert api.get("/v1/referrals/not-an-id", "ssn").status_code == 404
    assert api.get(f"/v1/cases/{case_id_for(person(1))}", "ssn").status_code == 404
    assert api.get(f"/v1/cases/{case_id_for(person(2))}", "ssn").status_code == 200
    assert api.get(f"/v1/referrals/{referral}", "admin").json()["status"] == "pending"


def test_a_caseworker_lists_only_their_agencys_referrals_and_cannot_widen_the_filter(api):
    mine = api.get("/v1/referrals", "ssn").json()["items"]
    assert [r["pathway"] for r in mine] == ["MEDICAL_CARE"]
    assert api.get("/v1/referrals", "ssn", agency="ITA-MOI").json()["items"] == []
    assert len(api.get("/v1/referrals", "admin", limit=100).json()["items"]) == 19
    assert api.get("/v1/referrals", "monitor").status_code == 403
    assert api.client.get("/v1/referrals").status_code == 401


def test_pages_follow_a_stable_order_and_together_list_every_match_once(api):
    seen: list[str] = []
    cursor = None
    while True:
        more = {"cursor": cursor} if cursor else {}
        params = {"limit": 4, "pathway": "ASYLUM_PROCEDURE"} | more
        page = api.get("/v1/referrals", "moi", **params).json()
        seen += [r["referral_id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    everything = api.get("/v1/referrals", "moi", pathway="ASYLUM_PROCEDURE").json()["items"]
    assert seen == [r["referral_id"] for r in everything] and len(seen) == 8
    issued = [r["issued_at"] for r in everything]
    assert issued == sorted(issued, reverse=True)
    bad = api.get("/v1/referrals", "moi", cursor="garbage")
    assert bad.status_code == 422


def test_filters_combine_pathway_status_overdue_agency_and_time(api):
    overdue = api.get("/v1/referrals", "admin", overdue="true", limit=100).json()["items"]
    assert {r["pathway"] for r in overdue} == {"ASYLUM_PROCEDURE", "INFORMATION_COUNSELLING"}
    assert all(r["overdue"] for r in overdue) and len(overdue) == 16
    late = api.get(
        "/v1/referrals",
        "admin",
        since=(T0 + timedelta(minutes=3)).isoformat(),
        until=(T0 + timedelta(minutes=5)).isoformat(),
    ).json()["items"]
    assert len(late) == 4
    cases = api.get("/v1/cases", "admin", pathway="MEDICAL_CARE", status="pending").json()
    assert [c["case_id"] for c in cases["items"]] == [case_id_for(person(2))]
    assert api.get("/v1/cases", "admin", agency="ITA-SSN", overdue="true").json()["items"] == []


def test_a_case_shows_its_timeline_and_a_caseworker_only_what_concerns_their_agency(api):
    case_id = case_id_for(person(1))
    full = api.get(f"/v1/cases/{case_id}", "admin").json()
    assert [e["kind"] for e in full["timeline"]] == [
        "case_opened",
        "event_recorded",
        "decision_made",
        "referral_issued",
        "referral_issued",
    ]
    assert full["household_cases"] == [case_id_for(person(2))]
    scoped = api.get(f"/v1/cases/{case_id}", "moi").json()
    assert [r["pathway"] for r in scoped["referrals"]] == ["ASYLUM_PROCEDURE"]
    assert [e["kind"] for e in scoped["timeline"]] == [
        "case_opened",
        "event_recorded",
        "referral_issued",
    ]
    assert "ruleset_digest" not in str(scoped) and "agency" not in scoped["timeline"][1]["detail"]
    assert scoped["household_cases"] == []  # the partner's case has no ITA-MOI referral


def test_a_status_update_moves_the_referral_and_an_invalid_one_is_refused_with_409(api):
    referral = asylum_of("g1")
    assert (
        api.post(f"/v1/referrals/{referral}/status", "moi", {"status": "accepted"}).status_code
        == 404
    )
    accepted = api.post(f"/v1/referrals/{referral}/status", "grc", {"status": "accepted"})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    refused = api.post(f"/v1/referrals/{referral}/status", "grc", {"status": "completed"})
    assert refused.status_code == 409
    assert (
        refused.json()["detail"] == "accepted -> completed: from accepted only closed, "
        "in_progress may follow"
    )
    bad = api.post(f"/v1/referrals/{referral}/status", "grc", {"status": "done", "x": 1})
    assert bad.status_code == 422
    timeline = api.get(f"/v1/cases/{case_id_for(person(200))}", "grc").json()["timeline"]
    assert timeline[-1]["kind"] == "status_changed"


def test_every_read_of_case_data_is_audited_without_personal_data(api):
    before = len(api.audit())
    api.get("/v1/referrals", "moi", pathway="ASYLUM_PROCEDURE")
    api.get(f"/v1/cases/{case_id_for(person(1))}", "moi")
    api.get(f"/v1/cases/{case_id_for(person(1))}", "ssn")
    entries = api.audit()[before:]
    assert [(e.action, e.role, e.detail.get("outcome")) for e in entries] == [
        ("referrals.list", "caseworker", None),
        ("case.read", "caseworker", "ok"),
        ("case.read", "caseworker", "not_found"),
    ]
    assert entries[0].detail["results"] == 8 and entries[0].actor.startswith("ITA-MOI/")
    assert not any(person(1) in str(e.detail) for e in entries)


def test_the_directory_and_the_openapi_document_are_served(api):
    listed = api.get("/v1/directory", "unhcr").json()
    assert listed["countries"]["ITA"]["national_fallback"] == "ITA-MOI"
    resolved = api.get(
        "/v1/directory/resolve", "unhcr", pathway="CHILD_PROTECTION", country="ITA", admin1="IT-82"
    ).json()
    assert (resolved["agency"], resolved["fallback"]) == ("ITA-82-CHILD-SVC", False)
    paths = api.client.get("/openapi.json").json()["paths"]
    assert {"/v1/cases", "/v1/cases/{case_id}", "/v1/referrals/{referral_id}/status"} <= set(paths)
