"""Does every rule speak the contracts' language? Fields, operators, values, pathways, ids.

These checks need only the rules, the event contracts (through `fields`) and the taxonomy; they
are fast and run before anything is compiled. Reasoning about what rules do together (safeguards,
contradictions, shadowing) is in `lint`.
"""

import difflib
from collections.abc import Iterator
from typing import Any

from schemas.rules import Comparison, Finding, Rule, Ruleset
from services.domain.pathways import PATHWAYS, RECEIVING_ACTOR_KINDS
from services.domain.rules.conditions import tests_of
from services.domain.rules.fields import EVENT_TYPES, FieldSpec, field_for, known_paths
from services.domain.rules.load import RuleSource

_OPS_BY_KIND: dict[str, frozenset[str]] = {
    "bool": frozenset({"eq", "ne"}),
    "enum": frozenset({"eq", "ne", "in", "not_in"}),
    "int": frozenset({"eq", "ne", "in", "not_in", "lt", "le", "gt", "ge"}),
    "str": frozenset({"eq", "ne", "in", "not_in"}),
    "list": frozenset({"contains", "intersects", "exists", "missing"}),
}
_KIND_WORDS = {
    "bool": "a yes/no field",
    "enum": "a field with a closed list of values",
    "int": "a number",
    "str": "a code",
    "list": "a list",
}


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    # Operators often write the start of a long code (ASYLUM for ASYLUM_PROCEDURE).
    close = close or [choice for choice in choices if word and choice.startswith(word)][:1]
    return f"; did you mean {close[0]}?" if close else ""


def check_vocabulary(ruleset: Ruleset, source: RuleSource) -> list[Finding]:
    """Findings for unknown fields, values, operators, pathways and actors, and duplicate ids."""
    findings: list[Finding] = []
    seen: dict[str, int] = {}
    for index, rule in enumerate(ruleset.rules):
        line = source.rule_line(index)
        if rule.id in seen:
            findings.append(
                _error(
                    source.file,
                    line,
                    rule.id,
                    "duplicate-id",
                    f"rule id {rule.id} is already used at line {seen[rule.id]}; "
                    "give every rule its own id",
                )
            )
        seen.setdefault(rule.id, line)
        findings += [
            _error(source.file, line, rule.id, code, text) for code, text in _refer_problems(rule)
        ]
        for position, test in enumerate(tests_of(rule.when)):
            test_line = source.test_line(index, position)
            for code, text in _test_problems(rule, test):
                findings.append(_error(source.file, test_line, rule.id, code, text))
    return findings


def _error(file: str, line: int, rule_id: str | None, code: str, message: str) -> Finding:
    return Finding(
        severity="error", code=code, file=file, line=line, rule_id=rule_id, message=message
    )


def _refer_problems(rule: Rule) -> Iterator[tuple[str, str]]:
    for target in rule.refer:
        if target.pathway not in PATHWAYS:
            hint = _suggest(target.pathway, sorted(PATHWAYS))
            yield "unknown-pathway", f"pathway {target.pathway} is not in the taxonomy{hint}"
        actor = target.receiving_actor
        if actor is not None and actor not in RECEIVING_ACTOR_KINDS:
            hint = _suggest(actor, sorted(RECEIVING_ACTOR_KINDS))
            yield "unknown-actor", f"receiving_actor {actor} is not a known actor kind{hint}"


def _test_problems(rule: Rule, test: Comparison) -> Iterator[tuple[str, str]]:
    types = [EVENT_TYPES[kind] for kind in rule.applies_to]
    specs = [spec for spec in (field_for(t, test.field) for t in types) if spec is not None]
    if not specs:
        kinds = " or ".join(rule.applies_to)
        hint = _suggest(test.field, known_paths())
        yield "unknown-field", f"field {test.field} does not exist on {kinds} events{hint}"
        return
    if test.field == "person_ref" or (
        test.field == "household_ref" and test.op not in ("exists", "missing")
    ):
        yield (
            "pseudonym",
            f"rules must not single people out: {test.field} allows only exists/missing",
        )
        return
    yield from _operator_problems(test, specs[0])


def _operator_problems(test: Comparison, spec: FieldSpec) -> Iterator[tuple[str, str]]:
    allowed = set(_OPS_BY_KIND[spec.kind])
    if spec.ordered:
        allowed |= {"lt", "le", "gt", "ge"}
    if spec.optional:
        allowed |= {"exists", "missing"}
    if test.op not in allowed:
        yield (
            "operator",
            (
                f"{test.op} does not apply to {test.field} ({_KIND_WORDS[spec.kind]}); "
                f"use one of {', '.join(sorted(allowed))}"
            ),
        )
        return
    yield from _value_problems(test, spec)


def _value_problems(test: Comparison, spec: FieldSpec) -> Iterator[tuple[str, str]]:
    if test.op in ("exists", "missing"):
        return
    many = test.op in ("in", "not_in", "intersects")
    if many != isinstance(test.value, list) or (many and not test.value):
        shape = "a non-empty list of values" if many else "one value"
        yield "type", f"{test.op} on {test.field} takes {shape}"
        return
    for value in test.value if isinstance(test.value, list) else [test.value]:
        problem = _value_problem(value, spec)
        if problem:
            yield "value", f"{test.field}: {problem}"


def _value_problem(value: Any, spec: FieldSpec) -> str | None:
    if spec.kind == "bool":
        return None if isinstance(value, bool) else f"{value!r} is not true or false"
    if spec.kind == "int":
        low, high = spec.bounds
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{value!r} is not a whole number"
        return None if low <= value <= high else f"{value} is outside {low}..{high}"
    if spec.values and value not in spec.values:
        shown = ", ".join(spec.values) if len(spec.values) <= 12 else "the contract's codes"
        hint = _suggest(str(value), list(spec.values))
        return f"{value!r} is not a valid value; use one of {shown}{hint}"
    return None if isinstance(value, str) else f"{value!r} is not text"
