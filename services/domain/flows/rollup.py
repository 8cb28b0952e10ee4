"""Marginals at query time: group the finest cells by a subset of dimensions, after filters.

`window` can be grouped by like any dimension (its value is the window's start datetime).
Multi-valued dimensions (`movement_reasons`, `reintegration_needs`) behave as sets: a filter on
them keeps cells whose set holds any allowed value, and grouping by them counts a cell once per
value it holds (a person citing two reasons appears under both; an empty set groups as None).
Such groups are not a partition, so their sum is not a total of people.
"""

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from itertools import product

from services.domain.flows.cube import CellKey
from services.domain.flows.keys import DIMENSIONS, MULTI_VALUED, DimValue, Measure
from services.domain.flows.windows import Granularity, epoch_seconds, from_index

GroupValue = DimValue | datetime
Filter = str | None | Collection[str | None]
"""One allowed value, or a collection of allowed values."""


def allowed_values(value: Filter) -> frozenset[str | None]:
    if value is None or isinstance(value, str):
        return frozenset({value})
    return frozenset(value)


def narrow(filters: Mapping[str, Filter], extra: Mapping[str, Filter]) -> dict[str, Filter]:
    """Both sets of filters at once: where both name a dimension, only values both allow."""
    out: dict[str, Filter] = dict(filters)
    for name, value in extra.items():
        if name in out:
            out[name] = allowed_values(out[name]) & allowed_values(value)
        else:
            out[name] = value
    return out


def _matcher(
    measure: Measure, filters: Mapping[str, Filter]
) -> list[tuple[int, bool, frozenset[str | None]]]:
    dims = DIMENSIONS[measure]
    unknown = set(filters) - set(dims)
    if unknown:
        raise ValueError(f"{measure} has no dimension {sorted(unknown)}; it has {list(dims)}")
    return [
        (dims.index(name), name in MULTI_VALUED, allowed_values(v)) for name, v in filters.items()
    ]


def _keeps(
    coords: tuple[DimValue, ...], tests: list[tuple[int, bool, frozenset[str | None]]]
) -> bool:
    for index, multi, allowed in tests:
        value = coords[index]
        if multi:
            if not isinstance(value, tuple) or allowed.isdisjoint(value):
                return False
        elif value not in allowed:
            return False
    return True


def _group_values(
    key: CellKey, positions: list[int | None], multi: list[bool]
) -> Iterable[tuple[GroupValue, ...]]:
    parts: list[tuple[GroupValue, ...]] = []
    for position, is_multi in zip(positions, multi, strict=True):
        if position is None:
            parts.append((from_index(key.window),))
            continue
        value = key.coords[position]
        if is_multi and isinstance(value, tuple):
            parts.append(value or (None,))
        else:
            parts.append((value,))
    return product(*parts)


def rollup(
    cells: Mapping[CellKey, int],
    *,
    measure: Measure,
    granularity: Granularity,
    group_by: Iterable[str] = (),
    filters: Mapping[str, Filter] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[tuple[GroupValue, ...], int]:
    """Counts of `measure` per group, over windows starting in [start, end).

    Group keys follow `group_by`'s order; with no group the result has one key, `()`.
    """
    dims = DIMENSIONS[measure]
    names = list(group_by)
    for name in names:
        if name != "window" and name not in dims:
            raise ValueError(f"{measure} cannot be grouped by {name!r}; it has {list(dims)}")
    positions = [None if n == "window" else dims.index(n) for n in names]
    multi = [n in MULTI_VALUED for n in names]
    tests = _matcher(measure, filters or {})
    low = epoch_seconds(start) if start is not None else None
    high = epoch_seconds(end) if end is not None else None
    out: dict[tuple[GroupValue, ...], int] = {}
    for key, count in cells.items():
        if key.measure != measure or key.granularity != granularity:
            continue
        if (low is not None and key.window < low) or (high is not None and key.window >= high):
            continue
        if tests and not _keeps(key.coords, tests):
            continue
        for group in _group_values(key, positions, multi):
            out[group] = out.get(group, 0) + count
    return out


def total(
    cells: Mapping[CellKey, int],
    *,
    measure: Measure,
    granularity: Granularity,
    filters: Mapping[str, Filter] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> int:
    """The ungrouped count of `measure` after filters: the rollup with no group."""
    result = rollup(
        cells, measure=measure, granularity=granularity, filters=filters, start=start, end=end
    )
    return result.get((), 0)
