"""`lint`: everything wrong with a ruleset, each finding with file:line, rule and what to change.

First the vocabulary (fields, values, operators, pathways, ids). Then reasoning over the rules
as a whole, by exhaustive evaluation of the compiled ruleset on the abstract event space
(`abstract`): rules that can never match, rules an earlier stopping rule always pre-empts, and
every safeguard of PRODUCT.md §5, each proved for all events or refuted with a counterexample.
Pure: no files, no clock.
"""

from typing import Any

from schemas.rules import Comparison, Finding, Rule, Ruleset, Severity
from services.domain.rules import abstract
from services.domain.rules.compile import compile_ruleset, ordered_rules
from services.domain.rules.conditions import predicate, tests_of
from services.domain.rules.engine import CompiledRuleset
from services.domain.rules.errors import RuleError
from services.domain.rules.fields import EVENT_TYPES, FIELDS
from services.domain.rules.load import RuleSource, load_ruleset
from services.domain.rules.safeguards import SAFEGUARDS, Safeguard


class _Context:
    """One ruleset under examination: its rules in order, their lines, and the compiled form."""

    def __init__(self, ruleset: Ruleset, source: RuleSource, compiled: CompiledRuleset) -> None:
        self.source = source
        self.compiled = compiled
        self.rules = ordered_rules(ruleset)
        lines = {id(rule): source.rule_line(i) for i, rule in enumerate(ruleset.rules)}
        self.line = {rule.id: lines[id(rule)] for rule in reversed(self.rules)}

    def finding(
        self, rule_id: str | None, code: str, message: str, severity: Severity = "error"
    ) -> Finding:
        line = self.line.get(rule_id or "", 1)
        return Finding(
            severity=severity,
            code=code,
            file=self.source.file,
            line=line,
            rule_id=rule_id,
            message=message,
        )

    def rules_for(self, event_type: str) -> list[Rule]:
        return [
            rule for rule in self.rules if event_type in {EVENT_TYPES[k] for k in rule.applies_to}
        ]


def lint_text(text: str, file: str) -> list[Finding]:
    """Lint YAML text; loading errors come back as findings too."""
    try:
        loaded = load_ruleset(text, file)
    except RuleError as exc:
        return list(exc.findings)
    return lint(loaded.ruleset, loaded.source)


def lint(ruleset: Ruleset, source: RuleSource | None = None) -> list[Finding]:
    """All findings for a validated ruleset, errors first, then by line."""
    source = source or RuleSource(f"<{ruleset.id}>")
    try:
        compiled = compile_ruleset(ruleset, source)
    except RuleError as exc:
        return list(exc.findings)
    context = _Context(ruleset, source, compiled)
    findings = _dead_rules(context) + _safeguard_findings(context)
    return sorted(findings, key=lambda f: (f.severity != "error", f.line, f.code))


def _space(event_type: str, rules: list[Rule], extra: tuple[str, ...] = ()) -> dict[str, list[Any]]:
    tests: list[Comparison] = [test for rule in rules for test in tests_of(rule.when)]
    specs = FIELDS[event_type]
    paths = sorted({t.field for t in tests if t.field in specs} | set(extra))
    return {path: abstract.classes(specs[path], tests) for path in paths}


def _dead_rules(context: _Context) -> list[Finding]:
    findings = []
    for rule in context.rules:
        reachable = [_reach(context, rule, t) for t in (EVENT_TYPES[k] for k in rule.applies_to)]
        if all(state == "never" for state in reachable):
            findings.append(
                context.finding(
                    rule.id,
                    "never-matches",
                    "can never match: its conditions contradict each other "
                    "(or test fields the event types it applies to lack); fix or remove them",
                )
            )
        elif all(state in ("never", "shadowed") for state in reachable):
            findings.append(context.finding(rule.id, "shadowed", _shadow_message(context, rule)))
    return findings


def _stoppers_before(context: _Context, rule: Rule, event_type: str) -> list[Rule]:
    earlier = context.rules_for(event_type)[: context.rules_for(event_type).index(rule)]
    return [r for r in earlier if not r.continue_ and r.fallback == rule.fallback]


def _reach(context: _Context, rule: Rule, event_type: str) -> str:
    """`never`, `shadowed` (an earlier stopping rule always fires first) or `reached`."""
    stoppers = _stoppers_before(context, rule, event_type)
    space = _space(event_type, [rule, *stoppers])
    if abstract.space_size(space) > abstract.LIMIT:
        return "reached"  # too many combinations to decide: assume reachable rather than guess
    matches = predicate(rule.when, event_type)
    stops = [predicate(r.when, event_type) for r in stoppers]
    state = "never"
    for point in abstract.points(event_type, space):
        if matches(point):
            if not any(stop(point) for stop in stops):
                return "reached"
            state = "shadowed"
    return state


def _shadow_message(context: _Context, rule: Rule) -> str:
    stoppers = {
        r.id for t in rule.applies_to for r in _stoppers_before(context, rule, EVENT_TYPES[t])
    }
    where = ", ".join(f"{rid} (line {context.line[rid]})" for rid in sorted(stoppers))
    return (
        f"is never reached: earlier rule(s) with `continue: false` always match first: {where}; "
        "move this rule before them or let them continue"
    )


def _safeguard_findings(context: _Context) -> list[Finding]:
    findings: list[Finding] = []
    for event_type in EVENT_TYPES.values():
        for safeguard in SAFEGUARDS:
            if safeguard.fields(event_type):
                findings += _prove(context, safeguard, event_type)
        findings += _prove_some_referral(context, event_type)
    return findings


def _relevant(context: _Context, pathway: str | None, event_type: str) -> list[Rule]:
    """Rules that decide whether `pathway` (None: any referral) is referred for this type."""
    rules = context.rules_for(event_type)
    if pathway is None or any(
        r.fallback and any(t.pathway == pathway for t in r.refer) for r in rules
    ):
        return rules
    return [r for r in rules if not r.continue_ or any(t.pathway == pathway for t in r.refer)]


def _prove(context: _Context, safeguard: Safeguard, event_type: str) -> list[Finding]:
    rules = _relevant(context, safeguard.pathway, event_type)
    space = _space(event_type, rules, safeguard.fields(event_type))
    kind = event_type.split(".")[-2]
    if abstract.space_size(space) > abstract.LIMIT:
        return [
            context.finding(
                None,
                f"safeguard-{safeguard.name}",
                f"cannot prove that {safeguard.promise} for {kind} events: the rules "
                f"involved combine too many fields; split or simplify them",
            )
        ]
    for point in abstract.points(event_type, space):
        if not safeguard.applies(point, event_type):
            continue
        found = context.compiled.proposed(point, event_type).get(safeguard.pathway)
        if not safeguard.kept_by(None if found is None else found[3]):
            return [_violation(context, safeguard, kind, point, list(space), found)]
    return []


def _violation(
    context: _Context, safeguard: Safeguard, kind: str, point: Any, paths: list[str], found: Any
) -> Finding:
    example = abstract.describe(point, paths)
    if safeguard.forbidden:
        rule_id = found[3].rule_id
        outcome = f"is referred to {safeguard.pathway} by rule {rule_id}"
        advice = (
            f"exclude these people from rule {rule_id} (e.g. a `not` on their status or signals)"
        )
    elif found is None:
        rule_id, outcome = None, f"gets no {safeguard.pathway} referral"
        advice = f"add or widen a rule referring to {safeguard.pathway}"
    else:
        rule_id = found[3].rule_id
        outcome = f"gets {safeguard.pathway} with urgency {found[3].urgency} only"
        advice = f"give {safeguard.pathway} urgency {safeguard.referral.urgency} in rule {rule_id}"
    message = (
        f"breaks safeguard {safeguard.name}: {safeguard.promise}, but {_article(kind)} event with "
        f"{example} {outcome}; {advice}"
    )
    return context.finding(rule_id, f"safeguard-{safeguard.name}", message)


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _prove_some_referral(context: _Context, event_type: str) -> list[Finding]:
    rules = context.rules_for(event_type)
    kind = event_type.split(".")[-2]
    if any(rule.when is None for rule in rules):
        return []  # an unconditional rule, or a stopping rule before it, always refers
    space = _space(event_type, rules)
    advice = (
        f"add a `fallback: true` rule without `when` for {kind} events (INFORMATION_COUNSELLING)"
    )
    if abstract.space_size(space) > abstract.LIMIT:
        return [
            context.finding(
                None,
                "safeguard-at_least_one_referral",
                f"cannot prove every {kind} event gets a referral; {advice}",
            )
        ]
    for point in abstract.points(event_type, space):
        if not context.compiled.proposed(point, event_type):
            example = abstract.describe(point, list(space))
            return [
                context.finding(
                    None,
                    "safeguard-at_least_one_referral",
                    f"breaks safeguard at_least_one_referral: {_article(kind)} event with "
                    f"{example} gets no referral; {advice}",
                )
            ]
    return []
