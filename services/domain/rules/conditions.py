"""Conditions as text: the words shown to people and the Python expressions the engine runs.

`render` gives the human-readable form a decision cites (`protection.asylum_intent == true`).
`expression` turns a test into a Python expression over the event data `d`, specialised for
one event type: a field that type does not have folds to a constant, an ordering over age bands
becomes set membership, and every constant goes into a namespace instead of into the source, so
generated code never contains operator-supplied text except validated field paths.
"""

from collections.abc import Callable, Iterator
from typing import Any

from schemas.rules import AllOf, Comparison, Condition, NotOf
from services.domain.rules.fields import FieldSpec, field_for

_SYMBOLS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_WORDS = {"in": "in", "not_in": "not in", "contains": "contains", "intersects": "intersects"}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_text(item) for item in value) + "]"
    return str(value)


def render(condition: Condition) -> str:
    """The condition as one line a caseworker can read."""
    if isinstance(condition, Comparison):
        return render_test(condition)
    if isinstance(condition, NotOf):
        return f"not ({render(condition.not_)})"
    joiner, parts = (
        (" and ", condition.all) if isinstance(condition, AllOf) else (" or ", condition.any)
    )
    return "(" + joiner.join(render(part) for part in parts) + ")"


def render_test(test: Comparison) -> str:
    if test.op in ("exists", "missing"):
        return f"{test.field} {test.op}"
    word = _SYMBOLS.get(test.op) or _WORDS[test.op]
    return f"{test.field} {word} {_text(test.value)}"


def tests_of(condition: Condition | None) -> Iterator[Comparison]:
    """Every test in a condition, depth first."""
    if condition is None:
        return
    if isinstance(condition, Comparison):
        yield condition
    elif isinstance(condition, NotOf):
        yield from tests_of(condition.not_)
    else:
        for part in condition.all if isinstance(condition, AllOf) else condition.any:
            yield from tests_of(part)


def conjuncts(condition: Condition | None) -> list[Condition]:
    """The parts that must all hold: nested `all`s flattened, anything else kept whole."""
    if condition is None:
        return []
    if isinstance(condition, AllOf):
        return [part for child in condition.all for part in conjuncts(child)]
    return [condition]


class Namespace:
    """The constants generated code refers to, by name (`K0`, `K1`...)."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}

    def add(self, value: object) -> str:
        name = f"K{len(self.values)}"
        self.values[name] = value
        return name


def expression(
    condition: Condition | None, event_type: str, names: Namespace, value: str | None = None
) -> str:
    """A Python expression over `d` (the event data) that is true when the condition holds.

    With `value`, every field is read from that name instead of from `d`: for conditions on a
    single field, evaluated on the field's value alone.
    """
    if condition is None:
        return "True"
    if isinstance(condition, Comparison):
        return test_expression(condition, event_type, names, value)
    if isinstance(condition, NotOf):
        return f"(not {expression(condition.not_, event_type, names, value)})"
    joiner, parts = (
        (" and ", condition.all) if isinstance(condition, AllOf) else (" or ", condition.any)
    )
    return "(" + joiner.join(expression(part, event_type, names, value) for part in parts) + ")"


def test_expression(
    test: Comparison, event_type: str, names: Namespace, value: str | None = None
) -> str:
    spec = field_for(event_type, test.field)
    if spec is None:
        # The event type has no such field: it is missing, so only `missing` holds.
        return "True" if test.op == "missing" else "False"
    return _field_expression(test, spec, value or f"d.{spec.path}", names)


def _presence(spec: FieldSpec, access: str) -> str:
    if spec.kind == "list":
        return f"({access})"  # a non-empty list is true: cheaper than len()
    return f"({access} is not None)" if spec.optional else "True"


def _ordering(test: Comparison, spec: FieldSpec, access: str, names: Namespace) -> str:
    if spec.ordered:
        pivot = spec.rank(test.value)
        keep = [band for rank, band in enumerate(spec.values) if _compare(rank, test.op, pivot)]
        return f"({access} in {names.add(frozenset(keep))})"
    guard = f"{access} is not None and " if spec.optional else ""
    return f"({guard}{access} {_SYMBOLS[test.op]} {names.add(test.value)})"


def _compare(left: int, op: str, right: int) -> bool:
    return {"lt": left < right, "le": left <= right, "gt": left > right, "ge": left >= right}[op]


def _field_expression(test: Comparison, spec: FieldSpec, access: str, names: Namespace) -> str:
    op, value = test.op, test.value
    if op == "exists":
        return _presence(spec, access)
    if op == "missing":
        return f"(not {_presence(spec, access)})"
    if op in ("lt", "le", "gt", "ge"):
        return _ordering(test, spec, access, names)
    if op == "eq" and isinstance(value, bool) and not spec.optional:
        return f"({access})" if value else f"(not {access})"
    if op == "eq" and isinstance(value, bool):
        return f"({access} is {value})"
    if op in ("eq", "ne"):
        return f"({access} {_SYMBOLS[op]} {names.add(value)})"
    if op in ("in", "not_in"):
        return f"({access} {_WORDS[op]} {names.add(frozenset(_listed(value)))})"
    if op == "contains":
        return f"({names.add(value)} in {access})"
    return f"(not {names.add(frozenset(_listed(value)))}.isdisjoint({access}))"


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def predicate(condition: Condition | None, event_type: str) -> Callable[[Any], bool]:
    """The condition as a plain function of the event data (for explaining and linting)."""
    names = Namespace()
    source = f"lambda d: bool({expression(condition, event_type, names)})"
    function: Callable[[Any], bool] = eval(source, dict(names.values))
    return function


def value_predicate(condition: Condition, event_type: str) -> Callable[[Any], bool]:
    """A condition on one field as a function of that field's value (`fields_of` has one path)."""
    names = Namespace()
    source = f"lambda x: bool({expression(condition, event_type, names, 'x')})"
    function: Callable[[Any], bool] = eval(source, dict(names.values))
    return function


def fields_of(condition: Condition, event_type: str) -> frozenset[str]:
    """The paths a condition reads that `event_type` has (tests on the others fold to constants)."""
    return frozenset(
        test.field for test in tests_of(condition) if field_for(event_type, test.field) is not None
    )
