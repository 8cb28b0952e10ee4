"""What the ingest API decides about a body, and the limits around it, without any I/O."""

import httpx
import orjson
import pytest

from services.adapters.http.problems import ApiProblem
from services.domain.access import Principal
from services.ingest.client import Backoff, IngestClient
from services.ingest.handlers import accept_batch, accept_event
from services.ingest.limits import RateLimiter
from tests.unit.schemas.examples import NOW, arrival, referral_update

ITA = Principal(token_id="t1", agency="ITA-MOI", role="publisher")


def refused(call: object) -> ApiProblem:
    with pytest.raises(ApiProblem) as caught:
        call()  # type: ignore[operator]
    return caught.value


def test_a_valid_event_is_accepted_with_the_person_as_key_and_its_bytes_unchanged() -> None:
    raw = orjson.dumps(arrival())
    accepted = accept_event(raw, ITA, now=NOW)
    assert (accepted.key, accepted.value) == (arrival()["subject"].encode(), raw)


def test_another_agencys_event_is_forbidden_unless_the_caller_is_an_admin() -> None:
    event = arrival() | {"agency": "IOM", "source": "urn:mixflow:agency:IOM"}
    problem = refused(lambda: accept_event(orjson.dumps(event), ITA, now=NOW))
    assert problem.status == 403
    admin = Principal(token_id="t2", agency="UNHCR", role="admin")
    assert accept_event(orjson.dumps(event), admin, now=NOW).id == event["id"]


def test_a_batch_is_all_or_nothing_and_names_each_refused_item_by_index() -> None:
    update = referral_update() | {
        "id": "u-1",
        "agency": "ITA-MOI",
        "source": "urn:mixflow:agency:ITA-MOI",
    }
    good, bad = arrival(), arrival() | {"id": "a-2", "specversion": "2.0"}
    problem = refused(lambda: accept_batch(orjson.dumps([good, bad, update]), ITA, now=NOW,
                                           max_events=10))  # fmt: skip
    assert problem.status == 422 and [p.path for p in problem.problems] == ["[1].specversion"]
    accepted = accept_batch(orjson.dumps([good, update]), ITA, now=NOW, max_events=10)
    assert accepted[1].key == update["data"]["referral_id"].encode()
    assert refused(lambda: accept_batch(b"[1,", ITA, now=NOW, max_events=10)).status == 400
    assert refused(lambda: accept_batch(b"{}", ITA, now=NOW, max_events=10)).status == 422
    assert refused(lambda: accept_batch(b"[1, 2]", ITA, now=NOW, max_events=1)).status == 413


def test_the_rate_limit_refills_at_its_rate_and_says_when_to_retry() -> None:
    now = [0.0]
    limiter = RateLimiter(rate=10, burst=20, clock=lambda: now[0])
    assert limiter.take("t", 20) == 0
    assert limiter.take("t", 5) == pytest.approx(0.5)
    now[0] = 1.0
    assert limiter.take("t", 10) == 0
    with pytest.raises(ApiProblem) as caught:
        limiter.check("t", 1)
    assert caught.value.status == 429 and caught.value.headers == {"Retry-After": "1"}


def test_the_client_retries_a_503_then_reports_only_the_refused_items_of_a_batch() -> None:
    calls: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        items = orjson.loads(request.content)
        calls.append(len(items))
        if len(calls) == 1:
            return httpx.Response(503, headers={"Retry-After": "1"})
        if len(items) == 3:
            problem = {"path": "[1].data.sex", "reason": "bad", "kind": "invalid_value"}
            return httpx.Response(422, json={"title": "t", "errors": [problem]})
        return httpx.Response(202, json={"accepted": 2, "ids": [i["id"] for i in items]})

    sleeps: list[float] = []
    client = IngestClient("http://ingest", "tok", backoff=Backoff(retries=2),
                          transport=httpx.MockTransport(answer), sleep=sleeps.append)  # fmt: skip
    events = [{"id": "a"}, {"id": "b"}, {"id": "c"}]
    report = client.publish_many(events, batch_size=3)
    assert report.accepted == ["a", "c"] and sleeps == [1.0] and calls == [3, 3, 2]
    assert report.rejected[0].index == 1 and report.rejected[0].problems[0]["path"] == "data.sex"
