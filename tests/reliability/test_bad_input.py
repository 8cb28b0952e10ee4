"""Bad input everywhere: whatever arrives, it is refused with a reason and nothing gets stuck.

Property-based (hypothesis) and fuzz tests of the Kafka path (random bytes, truncated JSON,
huge messages, wrong and duplicate headers, wrong encodings), of rule files and of referral
updates. The router must dead-letter each bad record with a reason and still decide a valid
event sent after them; the rules loader and linter may only answer with `RuleError` findings;
casework applies an update or dead-letters it with a reason.
"""

import base64
import copy
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kafka import KafkaProducer
from kafka.errors import MessageSizeTooLargeError

from schemas.deadletters import DeadLetterV1
from schemas.topics import DECISIONS, EVENTS_DEADLETTER, EVENTS_INBOUND
from services.adapters.db.memory import InMemoryUnitOfWork, MemoryState
from services.casework.handlers import CaseworkTopics, handle_batch
from services.domain.rules import RuleError, lint_text, load_ruleset
from services.router.handlers import RouterTopics, route_record
from services.router.rulesets import load_default
from tests.conftest import REPO
from tests.integration.router.conftest import RunningRouter, generated_events, read_all
from tests.integration.router.conftest import router as router
from tests.reliability.pipeline import rounds
from tests.unit.cases.builders import T0, decision, person, shipped_directory
from tests.unit.schemas.examples import arrival

EXAMPLES = 60 * rounds()
"""Hypothesis examples per property: a CI run stays short, `MIXFLOW_RELIABILITY_ROUNDS` widens."""
RULESET = load_default(REPO / "routing_rules")
DEFAULT_YAML = (REPO / "routing_rules" / "default.yaml").read_text()
NOW = datetime.now(UTC)
TOPICS = RouterTopics(decisions="d", deadletter="dl", referral_updates="u", dedup="dd")
CE_HEADERS = ("ce_id", "ce_type", "ce_source", "ce_specversion", "ce_time", "ce_agency")
VALID = [orjson.dumps(e) for e in generated_events(20, seed=5)]


@dataclass
class Record:
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    key: bytes | None = None
    topic: str = "inbound"
    partition: int = 0
    offset: int = 0


def truncated(raw: bytes, rng: Random) -> bytes:
    return raw[: rng.randrange(0, len(raw))]


def mutated_headers(draw: st.DrawFn) -> list[tuple[str, bytes]]:
    names = st.sampled_from([*CE_HEADERS, "content-type", "traceparent"]) | st.text(max_size=20)
    values = st.binary(max_size=40) | st.sampled_from(
        [b"1.0", b"org.mixflow.arrival.v1", b"-", b"A--B", b"ITA-MOI", b"\xff\xfe", b""]
    )
    headers = draw(st.lists(st.tuples(names, values), max_size=8))
    if headers and draw(st.booleans()):  # the same header twice, differently
        headers.append((headers[0][0], draw(values)))
    return headers


@st.composite
def inbound_records(draw: st.DrawFn) -> Record:
    valid = draw(st.sampled_from(VALID))
    value = draw(
        st.one_of(
            st.none(),
            st.binary(max_size=300),
            st.just(valid),
            st.integers(0, len(valid)).map(lambda n: valid[:n]),
            st.sampled_from(["utf-16", "utf-32", "latin-1", "utf-8-sig"]).map(
                lambda enc: valid.decode().replace("a", "\u00e4", 1).encode(enc, "replace")
            ),
            st.text(max_size=200).map(str.encode),
        )
    )
    return Record(value, mutated_headers(draw), draw(st.none() | st.binary(max_size=30)))


def assert_letter_with_a_reason(value: bytes) -> DeadLetterV1:
    letter = DeadLetterV1.model_validate_json(value)
    assert letter.problems and all(p.reason for p in letter.problems)
    return letter


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(record=inbound_records())
def test_any_inbound_record_is_decided_forwarded_or_dead_lettered_with_a_reason(
    record: Record,
) -> None:
    out = route_record(record, RULESET, now=NOW, topics=TOPICS)
    assert out is not None
    if out.topic == TOPICS.deadletter:
        assert_letter_with_a_reason(out.value)
    else:
        assert out.topic in {TOPICS.decisions, TOPICS.referral_updates}


def test_a_malformed_agency_header_does_not_break_the_dead_letter_of_a_broken_event() -> None:
    # Found by the property above: `-` passed the router's own check but not the contract's
    # agency code, so building the letter raised and the whole batch failed, again and again.
    for agency in (b"-", b"A--B", b"ITA-", b"-ITA"):
        record = Record(b"{", [("ce_agency", agency)])
        out = route_record(record, RULESET, now=NOW, topics=TOPICS)
        assert out is not None and out.topic == TOPICS.deadletter
        assert assert_letter_with_a_reason(out.value).agency is None


def poison_messages(rng: Random) -> list[tuple[bytes | None, bytes, list[tuple[str, bytes]]]]:
    """(key, value, headers) of records the router must refuse, each one differently bad."""
    valid = VALID[0]
    event = orjson.loads(valid)
    binary = [(f"ce_{k}", str(v).encode()) for k, v in event.items() if k != "data"]
    huge = copy.deepcopy(event)
    huge["data"]["notes"] = "x" * 600_000  # over what a dead letter keeps (256 KiB)
    messages = [(None, rng.randbytes(rng.randrange(1, 500)), []) for _ in range(10)]
    messages += [(b"k", truncated(valid, rng), []) for _ in range(10)]
    messages += [
        (None, b"", []),
        (None, b"null", []),
        (None, b"[]", []),
        (None, b'{"specversion": "1.0"}', []),
        (None, orjson.dumps(huge), []),
        (None, valid.decode().encode("utf-16"), []),
        (None, b"\xef\xbb\xbf" + valid.replace(b'"1.0"', b'"0.3"'), []),
        (None, valid.replace(b'"1.0"', b'"1.0\xff"'), []),
        (None, orjson.dumps(event["data"]), [*binary, ("ce_type", b"org.mixflow.nope.v1")]),
        (None, orjson.dumps(event["data"]), [("ce_specversion", b"1.0"), ("ce_agency", b"-")]),
        (None, b"\x00" * 64, [("ce_type", b"\xff\xfe"), ("ce_id", b"")]),
        (None, orjson.dumps(event["data"]), [(k, v[:3]) for k, v in binary]),
    ]
    return messages


def test_poison_on_the_broker_is_dead_lettered_with_reasons_and_a_valid_event_still_decided(
    router: RunningRouter,
) -> None:
    bootstrap = router.settings.kafka.bootstrap
    inbound = router.topic(EVENTS_INBOUND)
    poison = poison_messages(Random(3))
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", max_request_size=8 * 1024 * 1024
    )
    for key, value, headers in poison:
        producer.send(inbound, key=key, value=value, headers=headers).get(timeout=30)
    oversized = KafkaProducer(bootstrap_servers=bootstrap, max_request_size=8 * 1024 * 1024)
    with pytest.raises(MessageSizeTooLargeError):  # beyond the broker's limit: never stored
        oversized.send(inbound, value=b"x" * 3_000_000).get(timeout=30)
    oversized.close()
    valid = orjson.loads(VALID[1])
    valid["id"] = str(uuid.uuid4())
    producer.send(inbound, key=valid["subject"].encode(), value=orjson.dumps(valid)).get(30)
    producer.close()

    decided = read_all(bootstrap, router.topic(DECISIONS), 1, timeout_s=60)
    assert [orjson.loads(r.value)["event_id"] for r in decided] == [valid["id"]]
    letters = read_all(bootstrap, router.topic(EVENTS_DEADLETTER), len(poison), timeout_s=30)
    assert len(letters) == len(poison)
    parsed = [assert_letter_with_a_reason(r.value) for r in letters]
    assert len({(p.partition, p.offset) for p in parsed}) == len(poison)  # one letter each
    assert any(p.withheld == "too_large" for p in parsed)


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    lines = DEFAULT_YAML.splitlines()
    choice = draw(st.integers(0, 4))
    if choice == 0:
        return draw(st.text(max_size=300))
    if choice == 1:  # the shipped file, cut anywhere
        return DEFAULT_YAML[: draw(st.integers(0, len(DEFAULT_YAML)))]
    if choice == 2:  # one line replaced by junk
        at = draw(st.integers(0, len(lines) - 1))
        junk = draw(st.text(max_size=40) | st.sampled_from(["- [", "{{", ": :", "\t\t", "&a *a"]))
        return "\n".join([*lines[:at], junk, *lines[at + 1 :]])
    if choice == 3:  # lines shuffled
        return "\n".join(draw(st.permutations(lines[:60])))
    scalar = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=20)
    tree = st.recursive(
        scalar,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=10,
    )
    return orjson.dumps(draw(tree)).decode()  # JSON is YAML too


@settings(max_examples=EXAMPLES, deadline=None)
@given(text=yaml_texts())
def test_any_rule_file_loads_lints_or_fails_only_with_rule_error_findings(text: str) -> None:
    try:
        load_ruleset(text, "fuzz.yaml")
    except RuleError as exc:
        assert exc.findings and all(f.render() for f in exc.findings)
    findings = lint_text(text, "fuzz.yaml")
    assert all(f.render() for f in findings)


CASEWORK = CaseworkTopics(decisions="d", referral_updates="u", deadletter="dl")
STATUSES = st.sampled_from(
    ["accepted", "declined", "completed", "closed", "issued", "ACCEPTED", "", "nope"]
)


@st.composite
def update_records(draw: st.DrawFn) -> Record:
    referral = draw(st.sampled_from(REFERRALS) | st.text(max_size=20))
    agency = draw(st.sampled_from(["ITA-MOI", "UNHCR", "-", "ita"]))
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": draw(st.text(min_size=1, max_size=10)),
        "source": f"urn:mixflow:agency:{agency}",
        "type": draw(st.sampled_from(["org.mixflow.referral-update.v1", arrival()["type"]])),
        "time": (T0 + timedelta(minutes=draw(st.integers(-60, 10**6)))).isoformat(),
        "agency": agency,
        "data": {"referral_id": referral, "status": draw(STATUSES), "by_agency": agency},
    }
    if draw(st.booleans()):
        event["data"][draw(st.sampled_from(["reason_code", "status", "x"]))] = draw(
            st.none() | st.text(max_size=10) | st.integers(-(2**63), 2**63 - 1)
        )
    value = draw(st.one_of(st.just(orjson.dumps(event)), st.binary(max_size=100)))
    return Record(value, topic="u", offset=draw(st.integers(0, 10**6)))


def _seeded_state() -> tuple[MemoryState, list[str]]:
    state = MemoryState()
    handle_batch(
        lambda: InMemoryUnitOfWork(state),
        [Record(decision("e1", person(1)).model_dump_json().encode(), topic="d")],
        directory=shipped_directory(),
        now=T0 + timedelta(minutes=1),
        topics=CASEWORK,
    )
    return state, sorted(state.referrals)


REFERRALS = _seeded_state()[1]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(update_records(), min_size=1, max_size=6))
def test_any_referral_update_is_applied_or_dead_lettered_with_a_reason(
    records: list[Record],
) -> None:
    state, _ = _seeded_state()
    outcome = handle_batch(
        lambda: InMemoryUnitOfWork(state),
        records,
        directory=shipped_directory(),
        now=T0 + timedelta(hours=1),
        topics=CASEWORK,
    )
    assert outcome.updates + len(outcome.letters) == len(records)
    for letter in outcome.letters:
        parsed = assert_letter_with_a_reason(letter.value)
        if parsed.original_value is not None:
            assert base64.b64decode(parsed.original_value) in {r.value for r in records}
