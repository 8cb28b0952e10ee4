"""The flows service's plain parts: table keys, decision and outcome folding, the catalogue."""

from datetime import timedelta
from typing import get_args

import orjson
import pytest

from schemas.cases import CaseChangeKind
from services.domain.flows import CellKey, FlowCube
from services.domain.flows.disclosure import alternative_line
from services.flows.catalogue import cell_key, window_catalogue
from services.flows.cellkeys import decode_key, encode_key
from services.flows.handlers import (
    OUTCOME_KINDS,
    PersonFacts,
    fold_changes,
    fold_decision,
    may_report_outcome,
)
from tests.integration.flows.stream import HOUR, accepted, decision, main_stream, outcomes

pytestmark = pytest.mark.unit


def test_a_table_key_round_trips_with_sets_and_missing_values() -> None:
    cell = CellKey("arrivals", "hour", 3600, ("ITA", None, "sea", ("conflict", "economic")))
    key = decode_key(encode_key(3, cell, late=True))
    assert (key.part, key.late, key.cell) == (3, True, cell)


def test_a_redelivered_decision_is_counted_once() -> None:
    seen: set[str] = set()

    def is_new(ident: str) -> bool:
        new = ident not in seen
        seen.add(ident)
        return new

    cube = FlowCube()
    stream = main_stream()
    for item in [*stream, *stream[:10]]:
        fold_decision(item, cube, is_new)
    people = sum(v for k, v in cube.cells.items() if k.measure in ("arrivals", "returns"))
    assert people == 2 * 30  # 30 decisions, in hour and day cells


def test_only_changes_that_may_be_outcomes_are_parsed() -> None:
    change = accepted("a", 3, HOUR, HOUR + timedelta(hours=4), "ASYLUM_PROCEDURE")
    for kind in get_args(CaseChangeKind):
        compact = change.model_copy(update={"kind": kind}).model_dump_json().encode()
        spaced = orjson.dumps(orjson.loads(compact), option=orjson.OPT_INDENT_2)
        assert may_report_outcome(compact) is may_report_outcome(spaced) is (kind in OUTCOME_KINDS)
    assert not may_report_outcome(None)
    assert not may_report_outcome(b"")


def test_outcomes_take_the_persons_facts_and_settle_the_sla() -> None:
    cube = FlowCube()
    facts = PersonFacts("ITA", "male", "12-17")
    counted = fold_changes(outcomes(), cube, lambda _: True, lambda _: facts)
    assert counted == 6
    hour = {k.coords[-2:]: v for k, v in cube.cells.items() if k.granularity == "hour"}
    assert hour == {("accepted", "met"): 5, ("overdue", "missed"): 1}
    assert all(k.coords[:3] == ("ITA", "male", "12-17") for k in cube.cells)


def test_a_late_event_inside_the_grace_counts_and_one_past_it_is_kept_apart() -> None:
    cube = FlowCube(grace=timedelta(hours=1))
    for at in (
        HOUR + timedelta(hours=3, minutes=30),
        HOUR + timedelta(minutes=50),
        HOUR + timedelta(hours=2, minutes=20),
    ):
        fold_decision(decision("p", at, ("ASYLUM_PROCEDURE",)), cube, lambda _: True)
    on_time = {k.window for k in cube.cells if k.granularity == "hour" and k.measure == "arrivals"}
    late = {k.window for k in cube.late if k.granularity == "hour"}
    start = int(HOUR.timestamp())
    assert on_time == {start + 3 * 3600, start + 2 * 3600} and late == {start}


def test_no_hidden_published_aggregate_can_be_recomputed_from_its_table() -> None:
    cube = FlowCube()
    for item in main_stream():
        fold_decision(item, cube, lambda _: True)
    window = int(HOUR.timestamp())
    published = window_catalogue(cube.cells, "referrals", "hour", window, k=5)
    total = next(a for a in published if not a.dimensions)
    assert total.count == 36
    pathway = [a for a in published if list(a.dimensions) == ["pathway"]]
    real = {
        "ASYLUM_PROCEDURE": 18,
        "CHILD_PROTECTION": 6,
        "LABOUR_MOBILITY": 8,
        "RETURN_REINTEGRATION": 4,
    }
    values = [real[a.dimensions["pathway"]] for a in pathway] + [36]
    hidden = {i for i, a in enumerate(pathway) if a.suppressed}
    assert {pathway[i].dimensions["pathway"] for i in hidden} == {
        "CHILD_PROTECTION",
        "RETURN_REINTEGRATION",
    }
    for index in hidden:
        assert alternative_line(values, hidden, index) is not None
    assert cell_key(total) == "hour|2026-03-04T10:00:00Z|referrals|"
