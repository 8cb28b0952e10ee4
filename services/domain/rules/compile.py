"""`compile_ruleset`: turn a validated ruleset into a `CompiledRuleset`, once per version.

Refuses a ruleset whose vocabulary is wrong (unknown fields, values, pathways) with `RuleError`,
so the engine never meets a test it cannot run. The safeguards need not be kept by the rules to
compile: the engine enforces them at run time, and the linter is where a ruleset that relies on
that is rejected.
"""

import hashlib
import json

from schemas.decisions import Referral, RulesetRef
from schemas.events.arrival import ARRIVAL_V1
from schemas.events.returns import RETURN_V1
from schemas.rules import ReferTarget, Rule, Ruleset
from services.domain.pathways import PATHWAYS
from services.domain.rules.engine import (
    SAFEGUARD_BASE,
    CompiledRule,
    CompiledRuleset,
    EventPlan,
    entry_of,
)
from services.domain.rules.errors import RuleError
from services.domain.rules.explain import explainer, needs_event, static_lines
from services.domain.rules.fields import EVENT_TYPES
from services.domain.rules.index import build_index
from services.domain.rules.load import RuleSource
from services.domain.rules.safeguards import SAFEGUARDS
from services.domain.rules.vocabulary import check_vocabulary


def digest_of(ruleset: Ruleset) -> str:
    """sha256 of the ruleset's canonical JSON (normalised conditions, sorted keys, no spaces)."""
    canonical = json.dumps(
        ruleset.model_dump(mode="json", by_alias=True),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def ordered_rules(ruleset: Ruleset) -> list[Rule]:
    """Rules in evaluation order: ascending priority, file order among equals."""
    return sorted(ruleset.rules, key=lambda rule: rule.priority)


def compile_ruleset(ruleset: Ruleset, source: RuleSource | None = None) -> CompiledRuleset:
    """Compile once; route many. Raises `RuleError` when a rule does not fit the contracts."""
    errors = check_vocabulary(ruleset, source or RuleSource(f"<{ruleset.id}>"))
    if errors:
        raise RuleError(errors)
    ref = RulesetRef(id=ruleset.id, version=ruleset.version, digest=digest_of(ruleset))
    rules = ordered_rules(ruleset)
    plans = {event_type: _plan(rules, event_type) for event_type in (ARRIVAL_V1, RETURN_V1)}
    return CompiledRuleset(ref, plans)


def _plan(rules: list[Rule], event_type: str) -> EventPlan:
    mine = [rule for rule in rules if event_type in {EVENT_TYPES[k] for k in rule.applies_to}]
    regular = [rule for rule in mine if not rule.fallback]
    fallbacks = [rule for rule in mine if rule.fallback]
    premises = [(SAFEGUARD_BASE + i, safeguard.premise) for i, safeguard in enumerate(SAFEGUARDS)]
    return EventPlan(
        index=build_index([*enumerate(rule.when for rule in regular), *premises], event_type),
        rules=tuple(_compiled(rule, event_type) for rule in regular),
        fallback_index=build_index(list(enumerate(rule.when for rule in fallbacks)), event_type),
        fallbacks=tuple(_compiled(rule, event_type) for rule in fallbacks),
        safeguards=SAFEGUARDS,
    )


def _referral(rule: Rule, target: ReferTarget, lines: tuple[str, ...]) -> Referral:
    pathway = PATHWAYS[target.pathway]
    return Referral(
        pathway=pathway.code,
        framework=pathway.framework,
        receiving_actor=target.receiving_actor or pathway.receiving_actor,  # type: ignore[arg-type]
        urgency=target.urgency,
        sla_hours=target.sla_hours,
        rule_id=rule.id,
        matched=lines,
    )


def _compiled(rule: Rule, event_type: str) -> CompiledRule:
    explain = (
        explainer(rule.when, event_type)
        if rule.when is not None and needs_event(rule.when)
        else None
    )
    lines = static_lines(rule.when)
    entries = tuple(entry_of(_referral(rule, target, lines), explain) for target in rule.refer)
    return CompiledRule(rule.id, not rule.continue_, entries)
