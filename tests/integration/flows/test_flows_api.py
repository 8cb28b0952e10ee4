"""The flows API over stored cells: suppressed tables no hidden cell can be recomputed from,
CSV that HXL tools read, indicators, role checks, and the dashboard in headless Chromium."""

import io
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import hxl
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from services.adapters.clock import FixedClock
from services.adapters.db.tokens import TokenStore
from services.adapters.settings import Settings
from services.domain.flows import FlowCube
from services.domain.flows.disclosure import alternative_line, alternative_table
from services.flows.api import create_api
from services.flows.cellkeys import TableKey
from services.flows.store import FlowCellStore
from tests.conftest import REPO
from tests.integration.flows.conftest import prepare_database
from tests.unit.flows.stream import DAY, known_stream

NOW = datetime(2025, 3, 10, tzinfo=UTC)
PERIOD = {"start": DAY.isoformat(), "end": (DAY + timedelta(days=1)).isoformat()}
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    engine = prepare_database(sqlite_url)
    cube = FlowCube(grace=timedelta(days=2))
    for observation in known_stream():
        cube.fold(observation)
    # Two partitions counted parts of the same cells: the store must add them up.
    rows = [
        (TableKey(i % 2, False, cell), count) for i, (cell, count) in enumerate(cube.cells.items())
    ]
    with FlowCellStore(engine).transaction(NOW) as tx:
        tx.add(rows)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return Settings(database_url=sqlite_url)


def token_for(settings: Settings, engine: Engine, role: str) -> str:
    pepper = settings.token_pepper.get_secret_value().encode()
    return TokenStore(engine, pepper).create("UNHCR", role, now=NOW).token  # type: ignore[arg-type]


@pytest.fixture
def client(settings: Settings, engine: Engine) -> tuple[TestClient, dict[str, str]]:
    api = create_api(settings, clock=FixedClock(NOW), engine=engine)
    return TestClient(api), {"Authorization": f"Bearer {token_for(settings, engine, 'monitor')}"}


def get(client: tuple[TestClient, dict[str, str]], path: str, **params: Any) -> Any:
    response = client[0].get(path, params={**PERIOD, **params}, headers=client[1])
    assert response.status_code == 200, response.text
    return response.json() if params.get("format") != "csv" else response.text


def test_no_suppressed_cell_of_a_one_way_table_can_be_derived_from_its_total(client) -> None:
    body = get(client, "/flows/table", measure="returns", group_by="return_type")
    real = {"assisted_voluntary": 8, "forced": 4}  # the fixture's 12 returns
    values = [real[row["return_type"]] for row in body["rows"]]
    values.append(sum(values))
    shown = [row["count"] for row in body["rows"]] + [body["total"]]
    assert all(v is None or v == values[i] for i, v in enumerate(shown))
    hidden = {i for i, v in enumerate(shown) if v is None}
    assert hidden == {0, 1} and body["total"] == 12  # the 4 and the 8 that would give it away
    for index in hidden:
        assert alternative_line(values, hidden, index) is not None, f"entry {index} is disclosed"


def test_no_suppressed_cell_of_a_two_way_table_can_be_derived_from_its_margins(client) -> None:
    body = get(client, "/flows/table", measure="outcomes", group_by=["outcome", "sla"])
    rows = [r["outcome"] for r in body["row_totals"]]
    cols = [c["sla"] for c in body["column_totals"]]
    real = {("accepted", "met"): 10, ("accepted", "not_applicable"): 1, ("overdue", "missed"): 3}
    grid: dict[tuple[int, int], int] = {}
    shown: dict[tuple[int, int], int | None] = {}
    for row in body["rows"]:
        i, j = rows.index(row["outcome"]), cols.index(row["sla"])
        grid[(i, j)] = real.get((row["outcome"], _sla(row["sla"])), 0)
        shown[(i, j)] = row["count"]
    for i, r in enumerate(body["row_totals"]):
        grid[(i, len(cols))] = sum(grid[(i, j)] for j in range(len(cols)))
        shown[(i, len(cols))] = r["count"]
    for j, c in enumerate(body["column_totals"]):
        grid[(len(rows), j)] = sum(grid[(i, j)] for i in range(len(rows)))
        shown[(len(rows), j)] = c["count"]
    grid[(len(rows), len(cols))] = sum(real.values())
    shown[(len(rows), len(cols))] = body["total"]
    assert all(v is None or v == grid[e] for e, v in shown.items())
    hidden = {e for e, v in shown.items() if v is None}
    assert hidden
    for entry in hidden:
        assert alternative_table(grid, hidden, entry, len(rows), len(cols)) is not None, entry


def _sla(value: str) -> str:
    return "n/a" if value == "not_applicable" else value


def test_the_csv_export_opens_with_libhxl_and_its_hashtags_parse(client) -> None:
    text = get(
        client, "/flows/table", measure="arrivals", group_by=["window", "nationality"], format="csv"
    )
    dataset = hxl.data(io.BytesIO(text.encode()))
    tags = [column.display_tag for column in dataset.columns]
    assert tags == [
        "#date+start",
        "#country+code+nationality",
        "#population+arrivals+num",
        "#meta+suppressed",
    ]
    rows = {(row.get("#country+nationality"), row.get("#population+num")) for row in dataset}
    assert ("SYR", "20") in rows and ("TUN", "10") in rows and ("SDN", "10") in rows


def test_indicators_are_served_for_a_period(client) -> None:
    report = get(client, "/flows/indicators")
    asylum = report["protection_signal_referred_to_asylum"]
    assert (asylum["numerator"], asylum["denominator"]) == (30, 30)
    child = report["child_protection_within_sla"]
    # 10 in time and 3 overdue: the 3 is small, so the share is withheld.
    assert (child["numerator"], child["denominator"], child["share"]) == (None, None, None)
    assert asylum["share"] == 1.0


def test_only_roles_that_read_flows_get_them_and_nothing_at_person_level(
    settings, engine, client
) -> None:
    api = client[0]
    assert api.get("/flows/table", params={"measure": "arrivals"}).status_code == 401
    caseworker = {"Authorization": f"Bearer {token_for(settings, engine, 'caseworker')}"}
    assert (
        api.get("/flows/table", params={"measure": "arrivals"}, headers=caseworker).status_code
        == 403
    )
    three = {**PERIOD, "measure": "arrivals", "group_by": ["sex", "age_band", "nationality"]}
    assert api.get("/flows/table", params=three, headers=client[1]).status_code == 422
    unknown = api.get(
        "/flows/table", params={"measure": "arrivals", "person_ref": "p_1"}, headers=client[1]
    )
    assert unknown.status_code == 422 and "p_1" not in unknown.text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(settings: Settings, engine: Engine) -> Iterator[tuple[str, str]]:
    port = _free_port()
    api = create_api(settings, clock=FixedClock(NOW), engine=engine)
    server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", token_for(settings, engine, "monitor")
    server.should_exit = True
    thread.join(timeout=10)


def chromium(url: str, *args: str) -> str:
    binary = shutil.which("chromium") or "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=8000",
                "--window-size=1280,1500",
                *args,
                url,
            ],
            capture_output=True,
            timeout=60,
            text=True,
            check=False,
        )
    return result.stdout


def test_the_dashboard_loads_and_shows_the_numbers_the_api_gives(served, client) -> None:
    base, token = served
    fragment = f"#token={token}&start={PERIOD['start']}&end={PERIOD['end']}&granularity=day"
    url = f"{base}/dashboard{fragment.replace('+', '%2B')}"
    dom = chromium(url, "--dump-dom")
    assert 'data-state="ok"' in dom, dom[-2000:]
    pathways = get(client, "/flows/table", measure="referrals", group_by="pathway")
    for row in pathways["rows"]:
        shown = "\u2013" if row["count"] is None else str(row["count"])
        assert f'<tr data-key="{row["pathway"]}"><td>{row["pathway"]}</td><td class="num' in dom
        assert f">{shown}</td>" in dom.split(f'data-key="{row["pathway"]}"', 1)[1][:200]
    assert "SYR → ITA" in dom
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "flows-dashboard.png"
    shot.unlink(missing_ok=True)
    chromium(url, f"--screenshot={shot}")
    assert shot.exists() and shot.stat().st_size > 10_000
