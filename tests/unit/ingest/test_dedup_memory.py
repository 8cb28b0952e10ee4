"""The router's de-duplication memory: re-sent events are dropped, replays are not."""

from collections import OrderedDict
from dataclasses import dataclass

import orjson

from schemas.deadletters import DeadLetterV1
from schemas.envelope import parse_structured
from services.adapters.batch_stream import Outgoing
from services.router.app import DEFAULT_RULES_DIR
from services.router.dedup import DedupMemory, marks, remember
from services.router.handlers import RouterTopics, route_records
from services.router.rulesets import load_default
from tests.unit.schemas.examples import NOW, arrival

DAY = 86400.0


def test_a_key_seen_at_an_earlier_offset_is_a_duplicate_but_the_same_offset_is_a_replay() -> None:
    memory = DedupMemory(max_entries=10, ttl_s=DAY)
    assert memory.admit(0, "src a", 5, 1000.0)
    assert memory.admit(0, "src a", 5, 1000.0)  # the batch replayed after a crash
    assert not memory.admit(0, "src a", 9, 1000.0)  # re-sent
    assert memory.admit(1, "src a", 9, 1000.0)  # another partition keeps its own memory
    assert memory.duplicates == 1


def test_memory_is_bounded_by_entries_and_by_the_ttl_on_event_time() -> None:
    memory = DedupMemory(max_entries=3, ttl_s=DAY)
    for offset in range(5):
        memory.admit(0, f"src {offset}", offset, 1000.0 + offset)
    assert list(memory.partitions[0]) == ["src 2", "src 3", "src 4"]
    memory.admit(0, "src late", 10, 1000.0 + 2 * DAY)
    memory.expire()
    assert list(memory.partitions[0]) == ["src late"]


def test_marks_read_back_rebuild_the_memory_of_the_assigned_partitions_only() -> None:
    sights = [(0, "src a", 7, 1000.0), (1, "src b", 7, 1000.0), (0, "src c", 9, 1001.0)]
    written = marks("dedup", sights)
    assert [r.key for r in written] == [b"0 7-9", b"1 7-7"]  # one record per partition
    memory = DedupMemory(max_entries=10, ttl_s=DAY)
    memory.partitions[0] = OrderedDict()  # what `restore` starts from for an assigned partition
    for record in [*written, Outgoing("dedup", b"0 y", b"junk"), Outgoing("dedup", None, b"")]:
        remember(memory, record.key, record.value, partitions={0})
    assert dict(memory.partitions) == {0: {"src a": (7, 1000.0), "src c": (9, 1001.0)}}
    assert memory.latest[0] == 1001.0
    assert not memory.admit(0, "src a", 8, 1000.0)


def test_marks_of_one_sight_per_record_written_by_earlier_versions_are_read() -> None:
    memory = DedupMemory(max_entries=10, ttl_s=DAY)
    memory.partitions[0] = OrderedDict()
    legacy = orjson.dumps({"partition": 0, "offset": 7, "time": 1000.0})
    remember(memory, b"0 src a", legacy, partitions={0})
    assert dict(memory.partitions[0]) == {"src a": (7, 1000.0)}


def test_read_back_keeps_the_entry_bound() -> None:
    memory = DedupMemory(max_entries=2, ttl_s=DAY)
    memory.partitions[0] = OrderedDict()
    (record,) = marks("dedup", [(0, f"src {n}", n, 1000.0) for n in range(5)])
    remember(memory, record.key, record.value, partitions={0})
    assert list(memory.partitions[0]) == ["src 3", "src 4"]


@dataclass
class Record:
    value: bytes
    offset: int
    partition: int = 0
    topic: str = "inbound"
    key: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()


def test_a_re_sent_event_yields_no_decision_and_no_dead_letter_only_the_first_a_mark() -> None:
    ruleset = load_default(DEFAULT_RULES_DIR)
    event = orjson.dumps(arrival())
    topics = RouterTopics(dedup="dedup")
    memory = DedupMemory(max_entries=10, ttl_s=DAY)
    first = route_records([Record(event, 1), Record(event, 2)], ruleset, now=NOW,
                          topics=topics, memory=memory)  # fmt: skip
    later = route_records([Record(event, 3)], ruleset, now=NOW, topics=topics, memory=memory)
    assert [o.topic for o in first] == [topics.decisions, "dedup"]
    assert later == []
    parsed = parse_structured(event, now=NOW)
    assert first[1].key == b"0 1-1"
    assert orjson.loads(first[1].value)["entries"] == [
        [f"{parsed.source} {parsed.id}", 1, parsed.time.timestamp()]
    ]


def test_an_invalid_event_is_dead_lettered_with_its_bytes_unless_it_holds_an_identifier() -> None:
    ruleset = load_default(DEFAULT_RULES_DIR)
    broken = arrival() | {"id": "x-1", "time": "yesterday"}
    leaking = arrival() | {"id": "x-2"}
    leaking["data"]["person_ref"] = "someone@example.org"
    records = [Record(orjson.dumps(broken), 1, key=b"k", headers=(("ce_x", b"1"),)),
               Record(orjson.dumps(leaking), 2, key=b"k")]  # fmt: skip
    out = route_records(records, ruleset, now=NOW, group="g")
    kept, withheld = (DeadLetterV1.model_validate_json(o.value) for o in out)
    assert kept.withheld is None and kept.consumer_group == "g" and kept.offset == 1
    assert kept.original_key == "aw==" and kept.original_headers[0].name == "ce_x"
    assert withheld.withheld == "direct_identifier" and withheld.original_value is None
    assert withheld.original_key is None and "example.org" not in out[1].value.decode()
