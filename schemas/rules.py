"""Routing rulesets as operators write them in YAML, and the findings the linter reports.

A ruleset has an `id`, an integer `version` (raised by one on every published change, so that
"newer" is a plain comparison and a rollback republishes an older number's content under a new
number), `metadata` and ordered `rules`. A condition is `all` / `any` / `not` over tests on dotted
field paths of the event data. Tests have a long form and shorthands, normalised here:

    {field: protection.asylum_intent, eq: true}     long form, one operator per test
    protection.asylum_intent: true                  shorthand for eq
    legal_status: [asylum_seeker, stateless]        shorthand for in
    demographics.age_band: {le: "12-17"}            shorthand with an operator
    [test, test]                                    a list means all of them

After normalisation every test is `{field, op, value}`, which is also the canonical JSON that
the ruleset digest is computed from. Whether a field, value or pathway exists is the linter's job
(it knows the event contracts); these models only check the shape.
"""

from datetime import date
from typing import Annotated, Any, Literal, get_args

from pydantic import BeforeValidator, ConfigDict, Discriminator, Field, StringConstraints, Tag

from schemas.base import Contract
from schemas.codes import Urgency

EventKind = Literal["arrival", "return"]
Operator = Literal[
    "eq",
    "ne",
    "in",
    "not_in",
    "lt",
    "le",
    "gt",
    "ge",
    "exists",
    "missing",
    "contains",
    "intersects",
]
OPERATORS: tuple[str, ...] = get_args(Operator)
COMBINATORS: tuple[str, ...] = ("all", "any", "not")

FieldPath = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")]
RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,79}$")]
Scalar = bool | int | str
Value = Scalar | list[Scalar] | None


class RulesContract(Contract):
    """Rules models: closed and frozen like every contract, but lax on scalar types.

    YAML already types its scalars, and a quoted `effective_from: "2026-01-01"` should still be a
    date; whether `eq: "true"` fits a boolean field is reported by the linter with a line number.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=False, populate_by_name=True, serialize_by_alias=True
    )


class Comparison(RulesContract):
    """One comparison of a field of the event data with a constant."""

    field: FieldPath
    op: Operator
    value: Value = None


class AllOf(RulesContract):
    all: Annotated[list["Condition"], Field(min_length=1)]


class AnyOf(RulesContract):
    any: Annotated[list["Condition"], Field(min_length=1)]


class NotOf(RulesContract):
    not_: "Condition" = Field(alias="not")


def _normalise_test(raw: dict[str, Any]) -> dict[str, Any]:
    if set(raw) == {"field", "op", "value"} or set(raw) == {"field", "op"}:
        return raw
    ops = [key for key in raw if key != "field"]
    if len(ops) != 1 or ops[0] not in OPERATORS:
        raise ValueError(
            f"a test needs `field` and exactly one operator of {', '.join(OPERATORS)}; got {ops}"
        )
    op = ops[0]
    value = None if op in ("exists", "missing") else raw[op]
    if op in ("exists", "missing") and raw[op] is not True:
        raise ValueError(f"write `{op}: true`; to negate it use the opposite operator")
    return {"field": raw["field"], "op": op, "value": value}


def _normalise_shorthand(path: str, value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return _normalise_test({"field": path, **value})
    if isinstance(value, list):
        return {"field": path, "op": "in", "value": value}
    return {"field": path, "op": "eq", "value": value}


def normalise_condition(raw: Any) -> Any:
    """Turn the YAML shorthands into the canonical `all`/`any`/`not`/test mappings."""
    if isinstance(raw, list):
        return {"all": raw}
    if not isinstance(raw, dict) or not raw:
        raise ValueError("a condition is a mapping (a test, `all`, `any` or `not`) or a list")
    if "field" in raw:
        return _normalise_test(raw)
    if len(raw) != 1:
        raise ValueError(
            "one test or combinator per mapping; wrap several in `all:` or `any:` "
            f"(got {list(raw)})"
        )
    key, value = next(iter(raw.items()))
    if key in COMBINATORS:
        return raw
    return _normalise_shorthand(str(key), value)


def _condition_tag(raw: Any) -> str:
    if isinstance(raw, dict):
        return "test" if "field" in raw else next(iter(raw))
    return (
        "all"
        if isinstance(raw, AllOf)
        else "any"
        if isinstance(raw, AnyOf)
        else ("not" if isinstance(raw, NotOf) else "test")
    )


Condition = Annotated[
    Annotated[
        Annotated[Comparison, Tag("test")]
        | Annotated[AllOf, Tag("all")]
        | Annotated[AnyOf, Tag("any")]
        | Annotated[NotOf, Tag("not")],
        Discriminator(_condition_tag),
    ],
    BeforeValidator(normalise_condition),
]


def _as_list(raw: Any) -> Any:
    return [raw] if isinstance(raw, str | dict) else raw


class ReferTarget(RulesContract):
    """A referral a rule asks for. `receiving_actor` defaults to the pathway's usual actor."""

    pathway: str
    receiving_actor: str | None = None
    urgency: Urgency = "normal"
    sla_hours: Annotated[int, Field(ge=1, le=8760)]


class Rule(RulesContract):
    """When `when` holds for an event of a kind in `applies_to`, refer it to every `refer` entry.

    Rules run in ascending `priority` (equal priorities keep file order). `continue: false` stops
    evaluation after this rule matches. A `fallback` rule matches only when no other rule did.
    No `when` means always.
    """

    id: RuleId
    description: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    priority: Annotated[int, Field(ge=0, le=1_000_000)]
    applies_to: Annotated[list[EventKind], BeforeValidator(_as_list), Field(min_length=1)]
    when: Condition | None = None
    refer: Annotated[list[ReferTarget], BeforeValidator(_as_list), Field(min_length=1)]
    continue_: bool = Field(default=True, alias="continue")
    fallback: bool = False


class RulesetMetadata(RulesContract):
    owner: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    effective_from: date


class Ruleset(RulesContract):
    """A versioned, ordered set of routing rules."""

    id: RuleId
    version: Annotated[int, Field(ge=1)]
    metadata: RulesetMetadata
    rules: Annotated[list[Rule], Field(min_length=1)]


Severity = Literal["error", "warning", "info"]


class Finding(Contract):
    """One thing the linter found: where, in which rule, and what to change."""

    severity: Severity
    code: str
    file: str
    line: Annotated[int, Field(ge=1)]
    rule_id: str | None = None
    message: str

    def render(self) -> str:
        rule = f"rule {self.rule_id}" if self.rule_id else "ruleset"
        return f"{self.file}:{self.line}: {self.severity}: {rule}: {self.message}"


for _model in (AllOf, AnyOf, NotOf, Rule):
    _model.model_rebuild()
