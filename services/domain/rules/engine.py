"""Routing one event with a compiled ruleset: match, merge, enforce the safeguards, order.

Pure and deterministic: the same ruleset, event and `now` give the same decision. Everything
that can be prepared (referral records, matched lines of conjunctive rules, the generated
matchers) was prepared by `compile_ruleset`; per event the work is a few dictionary lookups,
the conditions of the candidate rules, and the safeguard premises.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.codes import URGENCY_RANK
from schemas.decisions import Referral, RemovedReferral, RulesetRef
from services.domain.rules.decision import Decision, Entry, RoutableEvent
from services.domain.rules.explain import Explainer
from services.domain.rules.index import Matcher
from services.domain.rules.safeguards import AT_LEAST_ONE, Safeguard

SAFEGUARD_BASE = 1_000_000
"""Matcher positions from here on are safeguard premises, not rules: they sort after all rules."""

FALLBACK_MARK = -1
"""Separates regular hits from fallback hits in a match signature."""

MEMO_LIMIT = 65_536
"""Distinct match signatures remembered per ruleset; beyond it outcomes are computed each time."""

Outcome = tuple[tuple[Entry, ...], tuple[RemovedReferral, ...]]


def entry_of(referral: Referral, explain: Explainer | None = None) -> Entry:
    return (URGENCY_RANK[referral.urgency], referral.pathway, referral.sla_hours, referral, explain)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule ready to run: its referrals pre-built, explanations resolved only when read."""

    rule_id: str
    stop: bool
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class EventPlan:
    """Everything needed to route one event type."""

    match: Matcher
    rules: tuple[CompiledRule, ...]
    fallback_match: Matcher
    fallbacks: tuple[CompiledRule, ...]
    safeguards: tuple[Safeguard, ...]


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

    __slots__ = ("memo", "plans", "ref")

    def __init__(self, ref: RulesetRef, plans: dict[str, EventPlan]) -> None:
        self.ref = ref
        self.plans = plans
        # The outcome of an event is a function of which rules and safeguard premises it met
        # (its signature) and its type; explanations that need the data are resolved later.
        # Remembering outcomes by signature is therefore invisible in the results.
        self.memo: dict[tuple[str, tuple[int, ...]], Outcome] = {}

    def _rules(self, plan: EventPlan, data: Any, hits: list[int]) -> dict[str, Entry]:
        chosen: dict[str, Entry] = {}
        if hits:
            _merge(hits, plan.rules, chosen)
        elif plan.fallbacks:
            fallback_hits = plan.fallback_match(data)
            fallback_hits.sort()
            _merge(fallback_hits, plan.fallbacks, chosen)
        return chosen

    def proposed(self, data: Any, event_type: str) -> dict[str, Entry]:
        """What the rules alone refer (before safeguards), by pathway. The linter checks this."""
        plan = self.plans[event_type]
        hits = sorted(hit for hit in plan.match(data) if hit < SAFEGUARD_BASE)
        return self._rules(plan, data, hits)

    def refer(self, data: Any, event_type: str) -> Outcome:
        """Referral entries for an event's data, safeguards enforced, ordered; and those removed."""
        plan = self.plans[event_type]
        hits = plan.match(data)
        hits.sort()
        if not hits or hits[0] >= SAFEGUARD_BASE:
            hits = [FALLBACK_MARK, *sorted(plan.fallback_match(data)), *hits]
        signature = (event_type, tuple(hits))
        outcome = self.memo.get(signature)
        if outcome is None:
            outcome = self._outcome(plan, hits)
            if len(self.memo) < MEMO_LIMIT:
                self.memo[signature] = outcome
        return outcome

    def _outcome(self, plan: EventPlan, hits: list[int]) -> Outcome:
        triggered = [hit - SAFEGUARD_BASE for hit in hits if hit >= SAFEGUARD_BASE]
        chosen: dict[str, Entry] = {}
        if hits[0] == FALLBACK_MARK:
            _merge([hit for hit in hits[1:] if hit < SAFEGUARD_BASE], plan.fallbacks, chosen)
        else:
            _merge([hit for hit in hits if hit < SAFEGUARD_BASE], plan.rules, chosen)
        removed = self._enforce(plan, triggered, chosen)
        if not chosen:
            chosen[AT_LEAST_ONE.pathway] = entry_of(AT_LEAST_ONE)
        # Pathways are unique, so sorting entries never compares past (urgency, pathway).
        return tuple(sorted(chosen.values())), removed

    @staticmethod
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

    def route(self, event: RoutableEvent, *, now: datetime) -> Decision:
        """Decide where the event's person is referred; `now` is the decision time."""
        entries, removed = self.refer(event.data, event.type)
        return Decision(event, now, self.ref, entries, removed)
