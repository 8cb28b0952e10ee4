"""Routing one event with a compiled ruleset: match, merge, enforce the safeguards, order.

Pure and deterministic: the same ruleset, event and `now` give the same decision. Everything
that can be prepared (referral records, matched lines of conjunctive rules, the generated
matchers) was prepared by `compile_ruleset`. Per event the work is the matcher (a few table
lookups giving one integer, the event's signature: the rules it meets, the safeguard premises
and the `any` branches that hold) and one more lookup of the outcome remembered for that
signature. The outcome holds the referrals already explained, so a decision costs no
explaining.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from schemas.codes import URGENCY_RANK
from schemas.decisions import Referral, RemovedReferral, RulesetRef
from services.domain.rules.decision import Decision, Entry, RoutableEvent
from services.domain.rules.explain import Lines
from services.domain.rules.index import Index, Masker
from services.domain.rules.safeguards import AT_LEAST_ONE, Safeguard

SAFEGUARD_BASE = 1_000_000
"""Matcher positions from here on are safeguard premises, not rules: they sort after all rules."""

BRANCH_BASE = 2_000_000
"""Matcher positions from here on are the `any` branches that rules' explanations cite."""

MEMO_LIMIT = 65_536
"""Distinct signatures remembered per event type; beyond it outcomes are computed each time."""

Outcome = tuple[tuple[Entry, ...], tuple[RemovedReferral, ...]]


def entry_of(referral: Referral, explain: Lines | None = None) -> Entry:
    return (URGENCY_RANK[referral.urgency], referral.pathway, referral.sla_hours, referral, explain)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule ready to run: its referrals pre-built, explanations resolved only when read."""

    rule_id: str
    stop: bool
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class EventPlan:
    """Everything needed to route one event type.

    `mask` gives the signature of an event: one bit per rule it meets and per safeguard premise
    and explained `any` branch that holds (see `index`). The outcome is a function of the
    signature, so it is remembered in `memo`. When no rule matched and the fallback rules have
    conditions of their own, the signature also carries the fallback bits (stored as a negative
    number, see `signature`).
    """

    index: Index
    rules: tuple[CompiledRule, ...]
    fallback_index: Index
    fallbacks: tuple[CompiledRule, ...]
    safeguards: tuple[Safeguard, ...]
    mask: Masker = field(init=False)
    fallback_mask: Masker | None = field(init=False)
    regular: int = field(init=False)
    width: int = field(init=False)
    memo: dict[int, Outcome] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        width = len(self.index.positions)
        regular = sum(1 << b for b, p in enumerate(self.index.positions) if p < SAFEGUARD_BASE)
        fixed = self.fallback_index.constant is not None
        object.__setattr__(self, "mask", self.index.mask)
        object.__setattr__(self, "fallback_mask", None if fixed else self.fallback_index.mask)
        object.__setattr__(self, "regular", regular)
        object.__setattr__(self, "width", width)

    def match(self, data: Any) -> list[int]:
        """Positions of the rules (and safeguard premises) the event meets, ascending."""
        return self.index.match(data)

    def fallback_match(self, data: Any) -> list[int]:
        """Positions of the fallback rules the event meets, ascending."""
        return [hit for hit in self.fallback_index.match(data) if hit < SAFEGUARD_BASE]

    def signature(self, data: Any) -> int:
        key = self.mask(data)
        if self.fallback_mask is not None and not key & self.regular:
            key = -1 - ((self.fallback_mask(data) << self.width) | key)
        return key


def _merge(hits: list[int], rules: tuple[CompiledRule, ...], chosen: dict[str, Entry]) -> None:
    """Walk matched rules in order until one stops; keep per pathway the most urgent referral,
    then the shortest SLA, then the earliest rule's."""
    for position in hits:
        rule = rules[position]
        for entry in rule.entries:
            current = chosen.get(entry[1])
            if current is None or (entry[0], entry[2]) < (current[0], current[2]):
                chosen[entry[1]] = entry
        if rule.stop:
            return


def _removal(entry: Entry, safeguard: Safeguard) -> RemovedReferral:
    return RemovedReferral(
        pathway=entry[3].pathway,
        rule_id=entry[3].rule_id,
        safeguard=safeguard.name,
        reason=safeguard.promise,
    )


class CompiledRuleset:
    """A ruleset compiled for routing; build it with `compile_ruleset`."""

    __slots__ = ("plans", "ref")

    def __init__(self, ref: RulesetRef, plans: dict[str, EventPlan]) -> None:
        self.ref = ref
        self.plans = plans

    def proposed(self, data: Any, event_type: str) -> dict[str, Entry]:
        """What the rules alone refer (before safeguards), by pathway. The linter checks this."""
        plan = self.plans[event_type]
        hits = [hit for hit in plan.match(data) if hit < SAFEGUARD_BASE]
        chosen: dict[str, Entry] = {}
        if hits:
            _merge(hits, plan.rules, chosen)
        elif plan.fallbacks:
            _merge(plan.fallback_match(data), plan.fallbacks, chosen)
        return chosen

    def refer(self, data: Any, event_type: str) -> Outcome:
        """Referral entries for an event's data, safeguards enforced, ordered; and those removed."""
        plan = self.plans[event_type]
        key = plan.signature(data)
        outcome = plan.memo.get(key)
        return outcome if outcome is not None else _remember(plan, key)

    def route(self, event: RoutableEvent, *, now: datetime) -> Decision:
        """Decide where the event's person is referred; `now` is the decision time."""
        plan = self.plans[event.type]
        data = event.data
        key = plan.mask(data)
        if plan.fallback_mask is not None and not key & plan.regular:
            key = -1 - ((plan.fallback_mask(data) << plan.width) | key)
        outcome = plan.memo.get(key)
        if outcome is None:
            outcome = _remember(plan, key)
        # What Decision(...) does, without the Python-level __new__ of a named tuple.
        return _new_tuple(Decision, (event, now, self.ref, *outcome))


_new_tuple = tuple.__new__


def _remember(plan: EventPlan, key: int) -> Outcome:
    """The outcome of a signature (see `EventPlan.signature`), remembered while there is room."""
    outcome = _outcome(plan, key)
    if len(plan.memo) < MEMO_LIMIT:
        plan.memo[key] = outcome
    return outcome


def _outcome(plan: EventPlan, key: int) -> Outcome:
    if key < 0:
        combined = -1 - key
        bits, fallback_bits = combined & ((1 << plan.width) - 1), combined >> plan.width
    else:
        bits, fallback_bits = key, plan.fallback_index.constant or 0
    hits = plan.index.hits(bits)
    chosen: dict[str, Entry] = {}
    regular = [hit for hit in hits if hit < SAFEGUARD_BASE]
    held = {hit for hit in hits if hit >= BRANCH_BASE}
    if regular:
        _merge(regular, plan.rules, chosen)
    else:
        fallback_hits = plan.fallback_index.hits(fallback_bits)
        _merge([hit for hit in fallback_hits if hit < SAFEGUARD_BASE], plan.fallbacks, chosen)
        held = {hit for hit in fallback_hits if hit >= BRANCH_BASE}
    triggered = [hit - SAFEGUARD_BASE for hit in hits if SAFEGUARD_BASE <= hit < BRANCH_BASE]
    removed = _enforce(plan, triggered, chosen)
    if not chosen:
        chosen[AT_LEAST_ONE.pathway] = entry_of(AT_LEAST_ONE)
    # Pathways are unique, so sorting entries never compares past (urgency, pathway).
    return tuple(_explained(entry, held.__contains__) for entry in sorted(chosen.values())), removed


def _explained(entry: Entry, held: Callable[[int], bool]) -> Entry:
    """The entry with its referral citing the `any` branches that held (its explanation)."""
    rank, pathway, hours, referral, explain = entry
    if explain is None:
        return entry
    return (rank, pathway, hours, referral.model_copy(update={"matched": explain(held)}), None)


def _enforce(
    plan: EventPlan, triggered: list[int], chosen: dict[str, Entry]
) -> tuple[RemovedReferral, ...]:
    removed: tuple[RemovedReferral, ...] = ()
    for position in triggered:
        safeguard = plan.safeguards[position]
        present = chosen.get(safeguard.pathway)
        if safeguard.forbidden:
            if present is not None:
                del chosen[safeguard.pathway]
                removed += (_removal(present, safeguard),)
        elif not safeguard.kept_by(None if present is None else present[3]):
            chosen[safeguard.pathway] = entry_of(safeguard.referral)
    return removed
