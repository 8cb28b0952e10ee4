"""Counting a batch of decisions and case changes into the flow store, exactly once.

One database transaction per batch claims the ids of the records (decision ids and
`case:sequence` of changes), folds only the newly claimed ones into cubes (one per partition
and input stream, carrying that stream's event-time watermark), adds the cube increments to the
stored cells and moves the watermarks. A record redelivered by an at-least-once producer, or a
batch replayed after a crash, finds its ids claimed and counts nothing: restarts never double
count, and no state lives outside the database.
"""

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from schemas.cases import CaseChangeV1
from schemas.decisions import DecisionV1
from services.domain.flows import FlowCube
from services.domain.flows.observe import observe_decision
from services.flows.cellkeys import TableKey
from services.flows.handlers import (
    OUTCOME_KINDS,
    UNKNOWN_PERSON,
    PersonFacts,
    may_report_outcome,
    outcome_of,
    parse_change,
    parse_decision,
)
from services.flows.store import FlowCellStore, FlowTransaction, Window

log = logging.getLogger(__name__)


class Record(Protocol):
    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def value(self) -> bytes | None: ...


@dataclass
class CountStats:
    decisions: int = 0
    outcomes: int = 0
    duplicates: int = 0
    cell_increments: int = 0


class FlowCounter:
    """Counts batches; `decisions_topic` tells decisions from case changes."""

    def __init__(self, store: FlowCellStore, *, decisions_topic: str, grace: timedelta) -> None:
        self._store = store
        self._decisions_topic = decisions_topic
        self._grace = grace
        self.stats = CountStats()

    def count(self, records: Sequence[Record], *, now: datetime) -> set[Window]:
        decisions: dict[int, list[DecisionV1]] = defaultdict(list)
        changes: dict[int, list[CaseChangeV1]] = defaultdict(list)
        for record in records:
            if record.topic == self._decisions_topic:
                decision = parse_decision(record.value)
                if decision is not None:
                    decisions[record.partition].append(decision)
            elif may_report_outcome(record.value):
                change = parse_change(record.value)
                if change is not None and change.kind in OUTCOME_KINDS:
                    changes[record.partition].append(change)
        if not decisions and not changes:
            return set()
        with self._store.transaction(now) as tx:
            idents = [d.decision_id for ds in decisions.values() for d in ds]
            idents += [f"{c.case_id}:{c.sequence}" for cs in changes.values() for c in cs]
            fresh = tx.claim(idents)
            self.stats.duplicates += len(idents) - len(fresh)
            # Increments of every partition go in one write: a statement per partition and
            # stream cost more round trips than rows at this batch size.
            deltas: list[tuple[TableKey, int]] = []
            people: dict[str, str] = {}
            for part, decided in decisions.items():
                deltas += self._fold_decisions(tx, part, decided, fresh, people)
            tx.remember(people)  # before outcomes, so a change finds a person decided with it
            for part, changed in changes.items():
                deltas += self._fold_changes(tx, part, changed, fresh)
            self.stats.cell_increments += len(deltas)
            tx.add(deltas)
            return tx.touched

    def _cube(self, tx: FlowTransaction, part: int, stream: str) -> FlowCube:
        return FlowCube(grace=self._grace, watermark=tx.watermark(part, stream))

    def _fold_decisions(
        self,
        tx: FlowTransaction,
        part: int,
        batch: list[DecisionV1],
        fresh: set[str],
        people: dict[str, str],
    ) -> list[tuple[TableKey, int]]:
        cube = self._cube(tx, part, "decisions")
        for decision in batch:
            if decision.decision_id not in fresh:
                continue
            fresh.discard(decision.decision_id)  # the same id twice in one batch counts once
            cube.fold(observe_decision(decision))
            facts = decision.facts
            people[decision.person_ref] = PersonFacts(
                facts.country, facts.sex, facts.age_band
            ).encode()
            self.stats.decisions += 1
        return self._cube_deltas(tx, part, "decisions", cube)

    def _fold_changes(
        self, tx: FlowTransaction, part: int, batch: list[CaseChangeV1], fresh: set[str]
    ) -> list[tuple[TableKey, int]]:
        cube = self._cube(tx, part, "changes")
        known = tx.people({c.person_ref for c in batch})
        for change in batch:
            ident = f"{change.case_id}:{change.sequence}"
            if ident not in fresh:
                continue
            fresh.discard(ident)
            person = PersonFacts.decode(known.get(change.person_ref, "")) or UNKNOWN_PERSON
            observed = outcome_of(change, person)
            if observed is not None:
                cube.fold(observed)
                self.stats.outcomes += 1
        return self._cube_deltas(tx, part, "changes", cube)

    def _cube_deltas(
        self, tx: FlowTransaction, part: int, stream: str, cube: FlowCube
    ) -> list[tuple[TableKey, int]]:
        """The cube's increments as stored keys; moves the stream's watermark with them."""
        if cube.watermark is not None:
            tx.set_watermark(part, stream, cube.watermark)
        return [
            (TableKey(part, late, cell), count)
            for late, cells in ((False, cube.cells), (True, cube.late))
            for cell, count in cells.items()
        ]
