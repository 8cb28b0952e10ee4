"""The same routing in GoRules ZEN (`zen-engine`), an established business-rules engine.

Each ruleset becomes one JSON decision model per event type: a decision table with hit policy
`collect` whose rows are the rules (in evaluation order) and then the safeguard premises, each
row one ZEN expression and its output the row's tag. What ZEN cannot express as a table (stop
after a `continue: false` rule, fallback rules, one referral per pathway keeping the most urgent,
the run-time safeguards) is done here in Python, as in mixflow's engine, so both produce the
same referrals; `agrees` checks that on the benchmark's events.

Inputs are converted to the plain dicts ZEN reads before timing starts, which favours the peer.
"""

import json
from typing import Any

import zen

from schemas.codes import URGENCY_RANK
from schemas.rules import AllOf, AnyOf, Comparison, Condition, NotOf, Rule, Ruleset
from services.domain.pathways import PATHWAYS
from services.domain.rules.compile import ordered_rules
from services.domain.rules.fields import EVENT_TYPES, FieldSpec, field_for
from services.domain.rules.safeguards import AT_LEAST_ONE, SAFEGUARDS

NAME = "zen-engine (GoRules JDM decision table, hit policy collect)"


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    return json.dumps(value) if isinstance(value, str) else str(value)


def _ordering(test: Comparison, spec: FieldSpec) -> str:
    if spec.ordered:
        pivot = spec.rank(test.value)
        ops = {"lt": pivot.__gt__, "le": pivot.__ge__, "gt": pivot.__lt__, "ge": pivot.__le__}
        keep = [band for rank, band in enumerate(spec.values) if ops[test.op](rank)]
        return f"({test.field} in {_literal(keep)})"
    symbol = {"lt": "<", "le": "<=", "gt": ">", "ge": ">="}[test.op]
    return f"({test.field} {symbol} {test.value})"


def _test(test: Comparison, event_type: str) -> str:
    spec = field_for(event_type, test.field)
    if spec is None:
        return "true" if test.op == "missing" else "false"
    present = f"(len({test.field}) > 0)" if spec.kind == "list" else f"({test.field} != null)"
    simple = {
        "eq": f"({test.field} == {_literal(test.value)})",
        "ne": f"({test.field} != {_literal(test.value)})",
        "in": f"({test.field} in {_literal(test.value)})",
        "not_in": f"(not ({test.field} in {_literal(test.value)}))",
        "exists": present,
        "missing": f"(not {present})",
        "contains": f"contains({test.field}, {_literal(test.value)})",
        "intersects": f"some({test.field}, # in {_literal(test.value)})",
    }
    return simple[test.op] if test.op in simple else _ordering(test, spec)


def expression(condition: Condition | None, event_type: str) -> str:
    """A condition as one ZEN expression."""
    if condition is None:
        return "true"
    if isinstance(condition, Comparison):
        return _test(condition, event_type)
    if isinstance(condition, NotOf):
        return f"(not {expression(condition.not_, event_type)})"
    joiner, parts = (
        (" and ", condition.all) if isinstance(condition, AllOf) else (" or ", condition.any)
    )
    assert isinstance(condition, AllOf | AnyOf)
    return "(" + joiner.join(expression(part, event_type) for part in parts) + ")"


def _model(rows: list[tuple[str, str]]) -> str:
    table_rows = [
        {"_id": f"r{n}", "c": cell, "o": json.dumps(tag)} for n, (tag, cell) in enumerate(rows)
    ]
    return json.dumps(
        {
            "nodes": [
                {"id": "in", "type": "inputNode", "name": "event", "position": {"x": 0, "y": 0}},
                {
                    "id": "t",
                    "type": "decisionTableNode",
                    "name": "rules",
                    "position": {"x": 1, "y": 0},
                    "content": {
                        "hitPolicy": "collect",
                        "inputs": [{"id": "c", "name": "when", "field": ""}],
                        "outputs": [{"id": "o", "name": "tag", "field": "tag"}],
                        "rules": table_rows,
                    },
                },
                {
                    "id": "out",
                    "type": "outputNode",
                    "name": "referrals",
                    "position": {"x": 2, "y": 0},
                },
            ],
            "edges": [
                {"id": "e1", "sourceId": "in", "targetId": "t", "type": "edge"},
                {"id": "e2", "sourceId": "t", "targetId": "out", "type": "edge"},
            ],
        }
    )


class ZenRouter:
    """Routes event dicts with ZEN decision tables plus the same merge and safeguard steps."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.engine = zen.ZenEngine()
        self.rules: dict[str, Rule] = {}
        self.decisions: dict[str, Any] = {}
        self.fallbacks: dict[str, Any] = {}
        for kind, event_type in EVENT_TYPES.items():
            mine = [rule for rule in ordered_rules(ruleset) if kind in rule.applies_to]
            for rule in mine:
                self.rules[rule.id] = rule
            rows = [
                (rule.id, expression(rule.when, event_type)) for rule in mine if not rule.fallback
            ]
            rows += [(f"safeguard:{s.name}", expression(s.premise, event_type)) for s in SAFEGUARDS]
            fallback_rows = [
                (rule.id, expression(rule.when, event_type)) for rule in mine if rule.fallback
            ]
            self.decisions[event_type] = self.engine.create_decision(_model(rows))
            self.fallbacks[event_type] = self.engine.create_decision(
                _model(fallback_rows or [("none", "false")])
            )

    def _tags(self, decision: Any, data: dict[str, Any]) -> list[str]:
        return [row["tag"] for row in decision.evaluate(data)["result"]]

    def route(self, event_type: str, data: dict[str, Any]) -> list[str]:
        """The pathways the event is referred to, ordered by urgency then pathway."""
        tags = self._tags(self.decisions[event_type], data)
        rule_ids = [tag for tag in tags if not tag.startswith("safeguard:")]
        if not rule_ids:
            rule_ids = [t for t in self._tags(self.fallbacks[event_type], data) if t in self.rules]
        chosen = self._merge(rule_ids)
        self._enforce(
            {tag.partition(":")[2] for tag in tags if tag.startswith("safeguard:")}, chosen
        )
        if not chosen:
            chosen[AT_LEAST_ONE.pathway] = (URGENCY_RANK["normal"], AT_LEAST_ONE.sla_hours)
        return [
            pathway for pathway, _ in sorted(chosen.items(), key=lambda item: (item[1][0], item[0]))
        ]

    def _merge(self, rule_ids: list[str]) -> dict[str, tuple[int, int]]:
        chosen: dict[str, tuple[int, int]] = {}
        for rule_id in rule_ids:
            rule = self.rules[rule_id]
            for target in rule.refer:
                key = (URGENCY_RANK[target.urgency], target.sla_hours)
                if target.pathway in PATHWAYS and (
                    target.pathway not in chosen or key < chosen[target.pathway]
                ):
                    chosen[target.pathway] = key
            if not rule.continue_:
                break
        return chosen

    @staticmethod
    def _enforce(triggered: set[str], chosen: dict[str, tuple[int, int]]) -> None:
        for safeguard in SAFEGUARDS:
            if safeguard.name not in triggered:
                continue
            found = chosen.get(safeguard.pathway)
            if safeguard.forbidden:
                chosen.pop(safeguard.pathway, None)
            elif found is None or found[0] > URGENCY_RANK[safeguard.referral.urgency]:
                chosen[safeguard.pathway] = (
                    URGENCY_RANK[safeguard.referral.urgency],
                    safeguard.referral.sla_hours,
                )
