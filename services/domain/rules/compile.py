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
from schemas.rules import AllOf, Condition, ReferTarget, Rule, Ruleset
from services.domain.pathways import PATHWAYS
from services.domain.rules.engine import (
    BRANCH_BASE,
    SAFEGUARD_BASE,
    CompiledRule,
    CompiledRuleset,
    EventPlan,
    entry_of,
)
from services.domain.rules.errors import RuleError
from services.domain.rules.explain import branch_lines, needs_event, static_lines
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
    compiled, branches = _compiled_all(regular)
    compiled_fallbacks, fallback_branches = _compiled_all(fallbacks)
    return EventPlan(
        index=build_index(
            [*enumerate(rule.when for rule in regular), *premises, *branches], event_type
        ),
        rules=compiled,
        fallback_index=build_index(
            [*enumerate(rule.when for rule in fallbacks), *fallback_branches], event_type
        ),
        fallbacks=compiled_fallbacks,
        safeguards=SAFEGUARDS,
    )


def _compiled_all(
    rules: list[Rule],
) -> tuple[tuple[CompiledRule, ...], list[tuple[int, Condition]]]:
    """The rules compiled, and the `any` branches their explanations depend on, each at the
    index position the rule's explanation reads it from.

    A branch is indexed together with its rule's condition (it holds only when the rule also
    does): whether a branch of a rule that did not match held says nothing about a decision, and
    as a bit of its own it multiplied the signatures to remember by its variety.
    """
    compiled: list[CompiledRule] = []
    branches: list[tuple[int, Condition]] = []
    for rule in rules:
        rule_branches, rule_compiled = _compiled(rule, BRANCH_BASE + len(branches))
        compiled.append(rule_compiled)
        if rule.when is not None:  # only a rule with a condition has branches
            branches += [
                (position, AllOf.model_construct(all=[rule.when, branch]))
                for position, branch in enumerate(rule_branches, BRANCH_BASE + len(branches))
            ]
    return tuple(compiled), branches


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


def _compiled(rule: Rule, first: int) -> tuple[tuple[Condition, ...], CompiledRule]:
    """The rule ready to run, and the `any` branches its explanation reads (numbered from
    `first`); a rule without an `any` is explained in advance."""
    branches: tuple[Condition, ...] = ()
    explain = None
    if rule.when is not None and needs_event(rule.when):
        branches, explain = branch_lines(rule.when, first)
    lines = static_lines(rule.when)
    entries = tuple(entry_of(_referral(rule, target, lines), explain) for target in rule.refer)
    return branches, CompiledRule(rule.id, not rule.continue_, entries)
