"""The ingest API over real HTTP, in front of the real broker and router."""

import copy
import time
from typing import Any

import orjson

from schemas.decisions import DecisionV1
from schemas.topics import DECISIONS, EVENTS_DEADLETTER
from tests.integration.ingest.conftest import RunningApi, settle
from tests.integration.router.conftest import RunningRouter, generated_events, read_all

CE = {"Content-Type": "application/cloudevents+json"}
BATCH = {"Content-Type": "application/cloudevents-batch+json"}


def ita(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The generated events, re-labelled as published by ITA-MOI (the fixture token's agency)."""
    return [dict(e, agency="ITA-MOI", source="urn:mixflow:agency:ITA-MOI") for e in events]


def test_events_sent_once_or_again_over_http_get_exactly_one_decision_each(
    kafka_broker: str, router: RunningRouter, api: RunningApi
) -> None:
    events = ita(generated_events(60, seed=21))
    with api.client() as http:
        singles = [
            http.post("/v1/events", content=orjson.dumps(e), headers=CE) for e in events[:10]
        ]
        batch = http.post("/v1/events:batch", content=orjson.dumps(events[10:]), headers=BATCH)
        again = http.post("/v1/events:batch", content=orjson.dumps(events[:40]), headers=BATCH)
        single_again = http.post("/v1/events", content=orjson.dumps(events[59]), headers=CE)

    assert [r.status_code for r in singles] == [202] * 10
    assert singles[0].json() == {"accepted": 1, "ids": [events[0]["id"]]}
    assert batch.status_code == 202 and batch.json()["ids"] == [e["id"] for e in events[10:]]
    assert again.status_code == 202 and single_again.status_code == 202
    settle(router.service, 101)
    decisions = [
        DecisionV1.model_validate_json(r.value)
        for r in read_all(kafka_broker, router.topic(DECISIONS), 61, timeout_s=1)
    ]
    assert sorted(d.event_id for d in decisions) == sorted(e["id"] for e in events)
    assert router.service.memory.duplicates == 41
    assert read_all(kafka_broker, router.topic(EVENTS_DEADLETTER), 1, timeout_s=1) == []


def _problem(response: Any) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def test_bad_requests_get_the_documented_status_and_a_precise_problem(api: RunningApi) -> None:
    good = ita(generated_events(3, seed=5))
    email = "someone@example.org"
    leaking = copy.deepcopy(good[0])
    leaking["data"]["person_ref"] = email
    invalid = copy.deepcopy(good[0])
    invalid["data"]["demographics"]["age_band"] = "30"
    other = dict(good[1], agency="IOM", source="urn:mixflow:agency:IOM")
    with api.client() as http:
        malformed = http.post("/v1/events", content=b'{"id": ', headers=CE)
        schema = http.post("/v1/events", content=orjson.dumps(invalid), headers=CE)
        identifier = http.post("/v1/events", content=orjson.dumps(leaking), headers=CE)
        wrong_agency = http.post("/v1/events", content=orjson.dumps(other), headers=CE)
        oversize = http.post("/v1/events", content=b"[" + b" " * 70_000 + b"]", headers=CE)
        text = http.post("/v1/events", content=orjson.dumps(good[0]),
                         headers={"Content-Type": "text/plain"})  # fmt: skip
        twice = http.post("/v1/events:batch", content=orjson.dumps([good[2], good[2]]),
                          headers=BATCH)  # fmt: skip
        mixed = http.post("/v1/events:batch", content=orjson.dumps([good[0], invalid]),
                          headers=BATCH)  # fmt: skip
        too_many = http.post("/v1/events:batch", content=orjson.dumps(good * 17), headers=BATCH)
    with api.client("mxf_000000000000_forged") as http:
        forged = http.post("/v1/events", content=orjson.dumps(good[0]), headers=CE)
    with api.client(api.issue(role="monitor")) as http:
        monitor = http.post("/v1/events", content=orjson.dumps(good[0]), headers=CE)

    assert malformed.status_code == 400
    assert _problem(malformed)["errors"][0]["kind"] == "malformed_json"
    assert schema.status_code == 422
    assert _problem(schema)["errors"][0]["path"] == "data.demographics.age_band"
    assert identifier.status_code == 422
    assert _problem(identifier)["errors"][0]["kind"] == "direct_identifier"
    assert email not in identifier.text
    assert wrong_agency.status_code == 403
    assert {e["path"] for e in _problem(wrong_agency)["errors"]} == {"agency", "source"}
    assert oversize.status_code == 413 and text.status_code == 415
    assert twice.status_code == 422 and _problem(twice)["errors"][0]["path"] == "[1].id"
    assert mixed.status_code == 422
    assert [e["path"] for e in _problem(mixed)["errors"]] == ["[1].data.demographics.age_band"]
    assert too_many.status_code == 413
    assert forged.status_code == 401 and "Bearer" in forged.headers["www-authenticate"]
    assert monitor.status_code == 403


def test_a_revoked_token_is_refused_from_the_next_request_on(api: RunningApi) -> None:
    token = api.issue()
    event = ita(generated_events(1, seed=8))[0]
    with api.client(token) as http:
        before = http.post("/v1/events", content=orjson.dumps(event), headers=CE)
        api.store.revoke(token.split("_")[1], now=__import__("datetime").datetime.now(
            __import__("datetime").UTC))  # fmt: skip
        time.sleep(0.6)  # the API reuses a verification for `token_cache_s` (0.5 s here)
        after = http.post("/v1/events", content=orjson.dumps(event), headers=CE)
    assert (before.status_code, after.status_code) == (202, 401)


def test_the_openapi_document_describes_both_routes_and_the_event_contract(api: RunningApi) -> None:
    with api.client() as http:
        document = http.get("/openapi.json").json()
        docs = http.get("/docs")
    assert {"/v1/events", "/v1/events:batch"} <= set(document["paths"])
    assert "InboundEvent" in document["components"]["schemas"]
    assert "422" in document["paths"]["/v1/events"]["post"]["responses"]
    assert docs.status_code == 200
