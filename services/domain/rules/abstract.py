"""The abstract event space: every distinguishable event, over the fields that matter.

Rules only compare fields with constants, so two events that agree on every comparison a set
of rules makes are routed alike. Each field's values are therefore cut into the few classes the
rules can tell apart: both booleans, every value of a small closed list (plus one unnamed value
of a large one, such as countries), integers at and around every threshold, and for lists every
subset of the values the rules name plus one value they do not. Enumerating the product of those
classes visits every behaviour the rules have: a proof, not a sample.

The points are mutable namespaces shaped like the event data (the engine reads only attributes),
so one object per event type is re-filled for each point.
"""

import itertools
from collections.abc import Iterable, Iterator
from types import SimpleNamespace
from typing import Any

from schemas.codes import STATELESS
from schemas.rules import Comparison
from services.domain.rules.fields import FIELDS, FieldSpec

UNNAMED = "\x00unnamed"
"""A value no rule names: stands for all the values a rule does not mention."""

LIMIT = 400_000
"""Points beyond which a proof is not attempted (the linter then says so, as an error)."""


def _named(tests: Iterable[Comparison]) -> set[Any]:
    named: set[Any] = set()
    for test in tests:
        values = test.value if isinstance(test.value, list) else [test.value]
        named.update(value for value in values if value is not None)
    return named


def _int_classes(spec: FieldSpec, named: set[Any]) -> list[Any]:
    low, high = spec.bounds
    points = {low, high} | {n + step for n in named if isinstance(n, int) for step in (-1, 0, 1)}
    values: list[Any] = sorted(p for p in points if low <= p <= high)
    return [None, *values] if spec.optional else values


def _list_classes(spec: FieldSpec, named: set[Any]) -> list[Any]:
    members = sorted(str(value) for value in named)
    if not spec.values or set(spec.values) - named:
        members.append(next((v for v in spec.values if v not in named), UNNAMED))
    subsets = (itertools.combinations(members, size) for size in range(len(members) + 1))
    return [list(subset) for subset in itertools.chain.from_iterable(subsets)]


def classes(spec: FieldSpec, tests: Iterable[Comparison]) -> list[Any]:
    """The values of `spec` that represent every class the given tests can distinguish."""
    named = _named(test for test in tests if test.field == spec.path)
    if spec.kind == "list":
        return _list_classes(spec, named)
    if spec.kind == "int":
        return _int_classes(spec, named)
    optional: list[Any] = [None] if spec.optional else []
    if spec.kind == "bool":
        return [*optional, False, True]
    if spec.kind == "enum" and len(spec.values) <= 12:
        return [*optional, *spec.values]
    if spec.path == "demographics.nationality":
        named.add(STATELESS)  # a safeguard singles out stateless people
    spare = next((v for v in spec.values if v not in named), UNNAMED)
    return [*optional, *sorted(str(v) for v in named), spare]


def base_event(event_type: str) -> SimpleNamespace:
    """An event of `event_type` with a neutral value in every field."""
    root = SimpleNamespace()
    for spec in FIELDS[event_type].values():
        *parents, leaf = spec.path.split(".")
        node = root
        for part in parents:
            node = node.__dict__.setdefault(part, SimpleNamespace())
        setattr(node, leaf, _neutral(spec))
    return root


def _neutral(spec: FieldSpec) -> Any:
    if spec.optional:
        return None
    return {"bool": False, "int": spec.bounds[0], "list": []}.get(
        spec.kind, spec.values[0] if spec.values else "0"
    )


def space_size(space: dict[str, list[Any]]) -> int:
    size = 1
    for values in space.values():
        size *= len(values)
    return size


def points(event_type: str, space: dict[str, list[Any]]) -> Iterator[SimpleNamespace]:
    """Every point of the product of `space` (path -> classes), as one re-filled event object."""
    event = base_event(event_type)
    setters = [_setter(event, path) for path in space]
    for combination in itertools.product(*space.values()):
        for (node, leaf), value in zip(setters, combination, strict=True):
            setattr(node, leaf, value)
        yield event


def _setter(event: SimpleNamespace, path: str) -> tuple[SimpleNamespace, str]:
    *parents, leaf = path.split(".")
    node = event
    for part in parents:
        node = getattr(node, part)
    return node, leaf


def describe(event: SimpleNamespace, paths: Iterable[str]) -> str:
    """The values of `paths` in a point, as `field = value` pairs for a counterexample."""
    parts = []
    for path in paths:
        node, leaf = _setter(event, path)
        value = getattr(node, leaf)
        shown = "another value" if value == UNNAMED else value
        parts.append(f"{path} = {shown}")
    return ", ".join(parts)
