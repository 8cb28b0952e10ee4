"""Hypothesis throws arbitrary requests at the ingest API: it never answers with a 5xx."""

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.ingest.app import create_app
from tests.integration.ingest.conftest import api_settings, prefixed_settings, token_store
from tests.integration.ingest.test_http_ingest import ita
from tests.integration.router.conftest import generated_events

VALID = ita(generated_events(5, seed=61))
SCALAR = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=20)
JSON = st.recursive(
    SCALAR | st.floats(allow_nan=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=12,
)  # fmt: skip


@st.composite
def mutated_event(draw: st.DrawFn) -> dict[str, Any]:
    """A valid event with one field replaced, deleted or added, at any depth."""
    event: dict[str, Any] = copy.deepcopy(draw(st.sampled_from(VALID)))
    node: Any = event
    while isinstance(node, dict) and node and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(node)))
        if not isinstance(node[key], dict):
            break
        node = node[key]
    action = draw(st.sampled_from(["replace", "delete", "add"]))
    key = draw(st.sampled_from(sorted(node))) if node else "x"
    if action == "delete":
        node.pop(key, None)
    else:
        node[key if action == "replace" else draw(st.text(max_size=8))] = draw(JSON)
    return event


def body() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=200),
        JSON.map(orjson.dumps),
        mutated_event().map(orjson.dumps),
        st.lists(mutated_event(), max_size=3).map(orjson.dumps),
        st.sampled_from(VALID).map(orjson.dumps),
    )


@pytest.fixture(scope="module")
def client(kafka_broker: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    base = prefixed_settings(kafka_broker)
    app_settings = api_settings(base, Path(tmp_path_factory.mktemp("fuzz")))
    token = token_store(app_settings).create("ITA-MOI", "publisher", now=datetime.now(UTC)).token
    with TestClient(create_app(app_settings), raise_server_exceptions=False) as test_client:
        yield test_client, token


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    path=st.sampled_from(["/v1/events", "/v1/events:batch"]),
    content=body(),
    media=st.sampled_from(["application/cloudevents+json", "application/json",
                           "application/cloudevents-batch+json", "text/plain", ""]),
    auth=st.sampled_from(["good", "none", "garbage"]),
)  # fmt: skip
def test_no_request_gets_a_server_error(
    client: tuple[TestClient, str], path: str, content: bytes, media: str, auth: str
) -> None:
    test_client, token = client
    headers = {"Content-Type": media} if media else {}
    if auth != "none":
        headers["Authorization"] = f"Bearer {token}" if auth == "good" else "Bearer mxf_x_y"
    response = test_client.post(path, content=content, headers=headers)
    assert response.status_code < 500, response.text
    assert response.status_code in {202, 400, 401, 403, 413, 415, 422}
