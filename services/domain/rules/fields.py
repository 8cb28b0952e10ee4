"""What rules may test: the fields of each event type, read from the event contracts themselves.

The pydantic models `ArrivalData` and `ReturnData` are walked once; every leaf becomes a
`FieldSpec` with its kind (boolean, closed list of values, integer, free-form code, list), its
allowed values, whether it may be absent, and integer bounds. Nothing here is typed by hand, so
a contract change is seen by the linter and the engine at once.
"""

import types
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Le
from pydantic import BaseModel

from schemas.codes import AGE_BANDS
from schemas.events.arrival import ARRIVAL_V1, ArrivalData
from schemas.events.returns import RETURN_V1, ReturnData

FieldKind = Literal["bool", "enum", "int", "str", "list"]
EVENT_TYPES: dict[str, str] = {"arrival": ARRIVAL_V1, "return": RETURN_V1}
PSEUDONYMS: frozenset[str] = frozenset({"person_ref", "household_ref"})


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One testable leaf of an event's data, e.g. `protection.medical_need`."""

    path: str
    kind: FieldKind
    values: tuple[str, ...] = ()
    optional: bool = False
    bounds: tuple[int, int] = (0, 0)

    @property
    def ordered(self) -> bool:
        """Age bands are ordered (`lt`, `ge`...) by their position in AGE_BANDS."""
        return self.values == AGE_BANDS

    def rank(self, value: object) -> int:
        return self.values.index(str(value))


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        return args[0], len(args) < len(get_args(annotation))
    return annotation, False


def _bounds(metadata: list[Any]) -> tuple[int, int]:
    lows = [m.ge for m in metadata if isinstance(m, Ge) and isinstance(m.ge, int)]
    highs = [m.le for m in metadata if isinstance(m, Le) and isinstance(m.le, int)]
    return (lows[0] if lows else -(2**31)), (highs[0] if highs else 2**31)


def _leaf(path: str, annotation: Any, optional: bool, metadata: list[Any]) -> FieldSpec:
    if annotation is bool:
        return FieldSpec(path, "bool", optional=optional)
    if annotation is int:
        return FieldSpec(path, "int", optional=optional, bounds=_bounds(metadata))
    if get_origin(annotation) is Literal:
        return FieldSpec(path, "enum", tuple(get_args(annotation)), optional)
    if get_origin(annotation) is list:
        item, _ = _strip_optional(get_args(annotation)[0])
        values = tuple(get_args(item)) if get_origin(item) is Literal else ()
        return FieldSpec(path, "list", values, optional)
    return FieldSpec(path, "str", optional=optional)


def _walk(model: type[BaseModel], prefix: str = "") -> dict[str, FieldSpec]:
    specs: dict[str, FieldSpec] = {}
    for name, info in model.model_fields.items():
        annotation, optional = _strip_optional(info.annotation)
        path = f"{prefix}{name}"
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            specs.update(_walk(annotation, f"{path}."))
        else:
            specs[path] = _leaf(path, annotation, optional, list(info.metadata))
    return specs


FIELDS: dict[str, dict[str, FieldSpec]] = {
    ARRIVAL_V1: _walk(ArrivalData),
    RETURN_V1: _walk(ReturnData),
}
"""Testable fields by event type string, then by dotted path."""


def field_for(event_type: str, path: str) -> FieldSpec | None:
    """The spec of `path` on `event_type`, or None when that event type has no such field."""
    return FIELDS[event_type].get(path)


def known_paths() -> list[str]:
    """Every testable path over all event types, sorted (for "did you mean" suggestions)."""
    return sorted({path for specs in FIELDS.values() for path in specs})
