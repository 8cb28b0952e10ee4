"""Generated matchers: one Python function per event type that finds the rules an event meets.

Rules are indexed by a discriminating test: each rule's most selective top-level equality on a
yes/no or closed-list field (e.g. `protection.gbv_risk == true`, `legal_status in [...]`) files
it under that field and value. The generated function reads each indexed field once and runs
only the rest of the conditions of the rules filed under the value it found: an `if`/`elif`
chain for a few values, a dictionary of generated functions for many. Rules without such a test
are checked one by one. The matcher returns the positions of the rules that matched; order and
`continue` are applied by the caller, which is equivalent because whether a rule matches never
depends on another rule.

The source is assembled from validated field paths and generated names only; every constant
lives in the namespace the code is compiled with. Sub-objects (`d.protection`) are read into
locals once per call, because attribute reads are most of the cost.
"""

import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from schemas.rules import Comparison, Condition
from services.domain.rules.conditions import Namespace, conjuncts, expression
from services.domain.rules.fields import field_for

Matcher = Callable[[Any], list[int]]
_INLINE_CASES = 4
_SMALL = 2
_PARENT = re.compile(r"\bd\.([a-z][a-z0-9_]*)\.")


Item = tuple[int, list[Condition]]
"""A rule (or safeguard premise) position and the conjuncts still to test."""


def _values(test: Condition, field: str, event_type: str) -> tuple[object, ...] | None:
    """The values `test` files a rule under when indexing by `field`, or None if it cannot."""
    if not isinstance(test, Comparison) or test.field != field or test.op not in ("eq", "in"):
        return None
    spec = field_for(event_type, field)
    if spec is None or spec.kind not in ("bool", "enum"):
        return None
    return tuple(test.value) if isinstance(test.value, list) else (test.value,)


def _best_field(items: list[Item], event_type: str) -> str | None:
    """The field most of these rules test for equality: indexing by it skips the most work."""
    counts: dict[str, int] = defaultdict(int)
    for _, parts in items:
        for field in {
            p.field for p in parts if isinstance(p, Comparison) and _values(p, p.field, event_type)
        }:
            counts[field] += 1
    ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    return ranked[0][0] if ranked and ranked[0][1] >= 2 else None


def _file(
    items: list[Item], field: str, event_type: str
) -> tuple[dict[object, list[Item]], list[Item]]:
    filed: dict[object, list[Item]] = defaultdict(list)
    rest: list[Item] = []
    for position, parts in items:
        test = next((p for p in parts if _values(p, field, event_type)), None)
        if test is None:
            rest.append((position, parts))
            continue
        for value in _values(test, field, event_type) or ():
            filed[value].append((position, [p for p in parts if p is not test]))
    return filed, rest


def _never(condition: Condition | None, event_type: str) -> bool:
    """A top-level test on a field this event type lacks folds to False: the rule never matches."""
    return any(
        expression(part, event_type, Namespace()) == "False" for part in conjuncts(condition)
    )


def _append(position: int, condition: str, indent: str) -> list[str]:
    if condition == "True":
        return [f"{indent}m.append({position})"]
    return [f"{indent}if {condition}:", f"{indent}    m.append({position})"]


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


class _Source:
    """The generated module being written: functions, dispatch tables and constants."""

    def __init__(self) -> None:
        self.names = Namespace()
        self.functions: list[list[str]] = []
        self.tables: dict[str, dict[object, str]] = {}

    def function(self, header: str, body: list[str], result: str | None = None) -> str:
        name = header.split("(")[0]
        locals_ = sorted(set(_PARENT.findall("\n".join(body))))
        prologue = [f"    _{parent} = d.{parent}" for parent in locals_]
        tail = [f"    return {result}"] if result else []
        self.functions.append(
            [f"def {header}:", *prologue, *(_PARENT.sub(r"_\1.", line) for line in body), *tail]
        )
        return name

    def emit(self, items: list[Item], event_type: str) -> list[str]:
        """Statements (at function-body indentation) appending the positions that match."""
        field = _best_field(items, event_type) if len(items) > _SMALL else None
        if field is None:
            return [line for item in items for line in self._residual(item, event_type)]
        filed, rest = _file(items, field, event_type)
        return [*self._guard(field, filed, event_type), *self.emit(rest, event_type)]

    def _residual(self, item: Item, event_type: str) -> list[str]:
        position, parts = item
        condition = " and ".join(expression(p, event_type, self.names) for p in parts) or "True"
        return _append(position, condition, "    ")

    def _guard(self, field: str, filed: dict[object, list[Item]], event_type: str) -> list[str]:
        if len(filed) > _INLINE_CASES:
            return self._dispatch(field, filed, event_type)
        lines = [f"    v = d.{field}"]
        for number, (value, items) in enumerate(filed.items()):
            test = f"v is {value}" if isinstance(value, bool) else f"v == {self.names.add(value)}"
            lines += [
                f"    {'if' if number == 0 else 'elif'} {test}:",
                *_indent(self.emit(items, event_type)),
            ]
        return lines

    def _dispatch(self, field: str, filed: dict[object, list[Item]], event_type: str) -> list[str]:
        table = f"T{len(self.tables)}"
        self.tables[table] = {}  # reserve the name before nested tables take the next ones
        self.tables[table] = {
            value: self.function(f"{table}_{n}(d, m)", self.emit(items, event_type))
            for n, (value, items) in enumerate(filed.items())
        }
        return [f"    b = {table}.get(d.{field})", "    if b is not None:", "        b(d, m)"]

    def build(self) -> Matcher:
        namespace: dict[str, Any] = dict(self.names.values)
        source = "\n".join(line for function in self.functions for line in function)
        exec(compile(source, "<mixflow-rules>", "exec"), namespace)
        for name, table in self.tables.items():
            # Tables point at generated functions, which exist only once the code has run.
            namespace[name] = {value: namespace[function] for value, function in table.items()}
        matcher: Matcher = namespace["match"]
        return matcher


def build_matcher(items: list[tuple[int, Condition | None]], event_type: str) -> Matcher:
    """Compile (position, condition) pairs into a matcher for one event type."""
    module = _Source()
    live = [
        (position, conjuncts(condition))
        for position, condition in items
        if not _never(condition, event_type)
    ]
    module.function("match(d)", ["    m = []", *module.emit(live, event_type)], result="m")
    return module.build()
