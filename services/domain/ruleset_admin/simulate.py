"""Impact analysis: route the same events with a candidate ruleset and the one in force.

`Simulation` is fed one event at a time and keeps only counters and at most `examples` event ids
per finding, so memory does not grow with the sample: the caller streams events from a topic or
a file and may stop whenever its time budget is spent. A decision counts as changed when its
referrals differ in pathway, urgency, SLA or receiving actor; pathways gained and lost are
counted per pathway, and every safeguard that fires (adds a referral the rules missed or removes
a forbidden one) is counted for both rulesets.
"""

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict

from schemas.decisions import RulesetRef
from services.domain.rules.decision import RoutableEvent
from services.domain.rules.engine import CompiledRuleset, Outcome

Signature = tuple[tuple[str, int, int, str], ...]
MEMO_LIMIT = 65_536
"""Distinct (candidate, baseline) outcome pairs remembered; beyond it each is compared anew."""


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class PathwayImpact(Frozen):
    pathway: str
    gained: int
    lost: int
    gained_examples: tuple[str, ...]
    lost_examples: tuple[str, ...]


class SafeguardImpact(Frozen):
    """How often a safeguard fired: with the candidate, with the baseline, examples (candidate)."""

    safeguard: str
    candidate: int
    baseline: int
    examples: tuple[str, ...]


class ImpactReport(Frozen):
    candidate: RulesetRef
    baseline: RulesetRef
    events: int
    skipped: int
    changed: int
    changed_examples: tuple[str, ...]
    pathways: tuple[PathwayImpact, ...]
    safeguards: tuple[SafeguardImpact, ...]
    truncated: bool = False

    @property
    def unchanged(self) -> int:
        return self.events - self.changed


class _Comparison:
    """What differs between two outcomes; computed once per distinct pair of outcomes."""

    __slots__ = ("changed", "fired_baseline", "fired_candidate", "gained", "lost")

    def __init__(self, candidate: Outcome, baseline: Outcome) -> None:
        new, old = _signature(candidate), _signature(baseline)
        self.changed = new != old
        new_paths, old_paths = {s[0] for s in new}, {s[0] for s in old}
        self.gained = tuple(sorted(new_paths - old_paths))
        self.lost = tuple(sorted(old_paths - new_paths))
        self.fired_candidate = _fired(candidate)
        self.fired_baseline = _fired(baseline)


def _signature(outcome: Outcome) -> Signature:
    return tuple((e[1], e[0], e[2], e[3].receiving_actor) for e in outcome[0])


def _fired(outcome: Outcome) -> tuple[str, ...]:
    entries, removed = outcome
    added = [e[3].rule_id.removeprefix("safeguard:") for e in entries if e[3].safeguard]
    return tuple(sorted({*added, *(r.safeguard for r in removed)}))


class _Examples:
    """At most `limit` example ids per key."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.ids: dict[str, list[str]] = {}

    def add(self, key: str, event_id: str) -> None:
        kept = self.ids.setdefault(key, [])
        if len(kept) < self.limit:
            kept.append(event_id)

    def of(self, key: str) -> tuple[str, ...]:
        return tuple(self.ids.get(key, ()))


class Simulation:
    """Feed events with `add`; read the `report` at any time."""

    def __init__(
        self, candidate: CompiledRuleset, baseline: CompiledRuleset, *, examples: int = 5
    ) -> None:
        self.candidate, self.baseline = candidate, baseline
        self.events = self.skipped = self.changed = 0
        self.gained: Counter[str] = Counter()
        self.lost: Counter[str] = Counter()
        self.fired: dict[str, Counter[str]] = {"candidate": Counter(), "baseline": Counter()}
        self.examples = _Examples(examples)
        self._memo: dict[tuple[int, int], tuple[Outcome, Outcome, _Comparison]] = {}

    def skip(self) -> None:
        """Count an event that could not be routed (another type, or not a valid event)."""
        self.skipped += 1

    def add(self, event: RoutableEvent) -> None:
        if event.type not in self.candidate.plans:
            self.skipped += 1
            return
        data, kind = event.data, event.type
        comparison = self._compare(
            self.candidate.refer(data, kind), self.baseline.refer(data, kind)
        )
        self.events += 1
        if comparison.changed:
            self._count_change(comparison, event.id)
        for name in comparison.fired_candidate:
            self.fired["candidate"][name] += 1
            self.examples.add(f"safeguard:{name}", event.id)
        for name in comparison.fired_baseline:
            self.fired["baseline"][name] += 1

    def _compare(self, candidate: Outcome, baseline: Outcome) -> _Comparison:
        # Outcomes repeat (the engine memoises them by match signature), so most events compare
        # a pair already seen; the pair is kept referenced, so its ids cannot be reused meanwhile.
        key = (id(candidate), id(baseline))
        memo = self._memo.get(key)
        if memo is not None and memo[0] is candidate and memo[1] is baseline:
            return memo[2]
        comparison = _Comparison(candidate, baseline)
        if len(self._memo) < MEMO_LIMIT:
            self._memo[key] = (candidate, baseline, comparison)
        return comparison

    def _count_change(self, comparison: _Comparison, event_id: str) -> None:
        self.changed += 1
        self.examples.add("changed", event_id)
        for pathway in comparison.gained:
            self.gained[pathway] += 1
            self.examples.add(f"gained:{pathway}", event_id)
        for pathway in comparison.lost:
            self.lost[pathway] += 1
            self.examples.add(f"lost:{pathway}", event_id)

    def report(self, *, truncated: bool = False) -> ImpactReport:
        pathways = sorted(set(self.gained) | set(self.lost))
        fired = self.fired
        return ImpactReport(
            candidate=self.candidate.ref,
            baseline=self.baseline.ref,
            events=self.events,
            skipped=self.skipped,
            changed=self.changed,
            changed_examples=self.examples.of("changed"),
            pathways=tuple(
                PathwayImpact(
                    pathway=p,
                    gained=self.gained[p],
                    lost=self.lost[p],
                    gained_examples=self.examples.of(f"gained:{p}"),
                    lost_examples=self.examples.of(f"lost:{p}"),
                )
                for p in pathways
            ),
            safeguards=tuple(
                SafeguardImpact(
                    safeguard=name,
                    candidate=fired["candidate"][name],
                    baseline=fired["baseline"][name],
                    examples=self.examples.of(f"safeguard:{name}"),
                )
                for name in sorted(set(fired["candidate"]) | set(fired["baseline"]))
            ),
            truncated=truncated,
        )


def simulate(
    events: Iterable[RoutableEvent | None],
    candidate: CompiledRuleset,
    baseline: CompiledRuleset,
    *,
    examples: int = 5,
    progress: Callable[[int], Any] | None = None,
    every: int = 1000,
) -> ImpactReport:
    """Route every event with both rulesets; `None` items are events that failed to parse.

    `progress(n)` is called every `every` items with the number of items seen so far.
    """
    simulation = Simulation(candidate, baseline, examples=examples)
    seen = 0
    for event in events:
        if event is None:
            simulation.skip()
        else:
            simulation.add(event)
        seen += 1
        if progress is not None and seen % every == 0:
            progress(seen)
    if progress is not None:
        progress(seen)
    return simulation.report()
