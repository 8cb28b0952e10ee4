"""The casework batch handler on the in-memory store: decisions, updates and dead letters."""

from dataclasses import dataclass, field
from datetime import timedelta

import orjson
import pytest

from schemas.deadletters import DeadLetterV1
from services.adapters.db.memory import InMemoryUnitOfWork, MemoryState
from services.casework import handlers
from services.casework.handlers import CaseworkTopics, handle_batch
from services.domain.cases.ids import case_id_for, referral_id_for
from tests.unit.cases.builders import T0, decision, person, shipped_directory

pytestmark = pytest.mark.unit

TOPICS = CaseworkTopics(decisions="d", referral_updates="u", deadletter="dl")
NOW = T0 + timedelta(hours=1)


@dataclass
class Record:
    topic: str
    value: bytes
    offset: int = 0
    partition: int = 0
    key: bytes | None = None
    headers: list[tuple[str, bytes]] = field(default_factory=list)


def update(event_id: str, referral_id: str, status: str, agency: str = "ITA-MOI") -> Record:
    event = {
        "specversion": "1.0", "id": event_id, "source": f"urn:mixflow:agency:{agency}",
        "type": "org.mixflow.referral-update.v1", "time": T0.isoformat(), "agency": agency,
        "data": {"referral_id": referral_id, "status": status, "by_agency": agency},
    }  # fmt: skip
    return Record("u", orjson.dumps(event), offset=int(event_id[1:]))


def run(state: MemoryState, *records: Record):
    return handle_batch(
        lambda: InMemoryUnitOfWork(state),
        list(records),
        directory=shipped_directory(),
        now=NOW,
        topics=TOPICS,
    )


def test_decisions_are_recorded_and_their_changes_queued_with_deterministic_ids():
    state = MemoryState()
    d = decision("e1", person(1))
    outcome = run(state, Record("d", d.model_dump_json().encode()))
    assert (outcome.decisions, outcome.letters) == (1, [])
    case_id = case_id_for(person(1))
    assert [m.message_id for m in state.outbox] == [f"{case_id}/{n}" for n in (1, 2, 4, 5)]
    assert run(state, Record("d", d.model_dump_json().encode())).decisions == 0


def test_an_update_the_lifecycle_forbids_becomes_a_dead_letter_with_the_reason():
    state = MemoryState()
    d = decision("e1", person(1))
    referral = referral_id_for(d.decision_id, "ASYLUM_PROCEDURE")
    outcome = run(
        state,
        Record("d", d.model_dump_json().encode()),
        update("u1", referral, "accepted"),
        update("u2", referral, "declined"),
        update("u3", referral, "in_progress", agency="UNHCR-ITA"),
    )
    assert outcome.updates == 1
    letters = [DeadLetterV1.model_validate_json(o.value) for o in outcome.letters]
    assert [(letter.offset, letter.problems[0].path) for letter in letters] == [
        (2, "data.status"),
        (3, "data.by_agency"),
    ]
    assert "accepted -> declined refused" in letters[0].problems[0].reason
    assert all(o.topic == "dl" for o in outcome.letters)


def test_records_that_break_their_contract_become_dead_letters_without_their_content():
    arrival_on_updates = Record("u", orjson.dumps({"specversion": "1.0", "type": "x"}))
    broken_decision = Record("d", b'{"decision_id": "a@b.org"}')
    outcome = run(MemoryState(), arrival_on_updates, broken_decision)
    assert len(outcome.letters) == 2
    assert all(b"a@b.org" not in o.value for o in outcome.letters)


def test_an_update_of_an_unknown_referral_is_refused():
    outcome = run(MemoryState(), update("u1", "r_" + "1" * 32, "accepted"))
    letter = DeadLetterV1.model_validate_json(outcome.letters[0].value)
    assert letter.problems[0].path == "data.referral_id"


def test_a_decision_that_cannot_be_recorded_is_parked_and_the_rest_of_its_batch_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = handlers.apply_decisions

    def failing_on_e2(uow, decisions, **kwargs):  # type: ignore[no-untyped-def]
        if any(d.event_id == "e2" for d in decisions):
            raise RuntimeError("a bug met by one decision")
        return real(uow, decisions, **kwargs)

    monkeypatch.setattr(handlers, "apply_decisions", failing_on_e2)
    state = MemoryState()
    records = [
        Record("d", decision(f"e{n}", person(n)).model_dump_json().encode(), offset=n)
        for n in (1, 2, 3)
    ]
    outcome = run(state, *records)
    assert outcome.decisions == 2  # e1 and e3: the batch is not wedged by e2
    [letter] = outcome.letters
    parked = DeadLetterV1.model_validate_json(letter.value)
    assert parked.offset == 2 and parked.original_value is not None  # kept, to replay once fixed
    assert parked.problems[0].kind == "internal" and "RuntimeError" in parked.problems[0].reason
    assert run(state, *records).decisions == 0  # e1 and e3 are recorded once, not again
