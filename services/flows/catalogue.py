"""The aggregates the flows service publishes: per window and measure, a fixed set of tables.

For each (measure, granularity, window): the total, and one table per dimension of the measure,
each suppressed as a 1-D table with that total (`suppress_line`). The total is one published
value shared by every table, so it is hidden everywhere if any table needs it hidden (hiding
more only adds protection). Multi-valued dimensions (movement reasons, reintegration needs)
count a person once per value: their groups do not add up to the total, so their line is
suppressed against its own sum, which is not published. A suppressed cell has no count.
"""

from collections.abc import Mapping
from datetime import datetime

from schemas.flows import Dimension, FlowAggregateV1
from services.domain.flows import CellKey, suppress_line
from services.domain.flows.keys import DIMENSIONS, MULTI_VALUED, Measure
from services.domain.flows.rollup import GroupValue
from services.domain.flows.windows import SECONDS, Granularity, from_index

PUBLISHED_NAME: dict[str, Dimension] = {
    "movement_reasons": "movement_reason",
    "reintegration_needs": "reintegration_need",
}
"""Finest dimension -> the contract's dimension name, where they differ."""


_SPECIAL_CODES: dict[object, str] = {None: "unknown", "n/a": "not_applicable"}


def code(value: GroupValue) -> str:
    """A group value as a contract code: no value is `unknown`, `n/a` is `not_applicable`."""
    return _SPECIAL_CODES.get(value) or str(value)


def margins(
    cells: Mapping[CellKey, int], measure: Measure, granularity: Granularity, window: int
) -> tuple[int, list[dict[str, int]]]:
    """The window's total and, per dimension of the measure (in order), its count per code.

    What `rollup` gives with no group and grouped by each dimension in turn, codes applied,
    in one pass over the cells instead of one per dimension: the publisher recomputes every
    touched window on each interval, and those passes were most of the flows service's CPU.
    A multi-valued dimension counts a cell once per value it holds (an empty set as unknown).
    """
    dims = DIMENSIONS[measure]
    multi = tuple(dim in MULTI_VALUED for dim in dims)
    lines: list[dict[str, int]] = [{} for _ in dims]
    special = _SPECIAL_CODES
    total = 0
    for key, count in cells.items():
        if key.window != window or key.measure != measure or key.granularity != granularity:
            continue
        total += count
        for value, is_multi, line in zip(key.coords, multi, lines, strict=True):
            if is_multi and isinstance(value, tuple):
                for item in value or (None,):
                    name = special.get(item) or str(item)  # `code`, inlined: a hot loop
                    line[name] = line.get(name, 0) + count
            else:
                name = special.get(value) or str(value)
                line[name] = line.get(name, 0) + count
    return total, lines


def cell_key(aggregate: FlowAggregateV1) -> str:
    """The compacted topic's key: granularity, window start, measure, sorted dimensions."""
    dims = ",".join(f"{k}={v}" for k, v in sorted(aggregate.dimensions.items()))
    start = aggregate.window_start.isoformat().replace("+00:00", "Z")
    return f"{aggregate.granularity}|{start}|{aggregate.measure}|{dims}"


def _aggregate(
    granularity: Granularity,
    start: datetime,
    end: datetime,
    measure: Measure,
    dims: dict[Dimension, str],
    count: int | None,
) -> FlowAggregateV1:
    return FlowAggregateV1(
        granularity=granularity,
        window_start=start,
        window_end=end,
        measure=measure,
        dimensions=dims,
        count=count,
        suppressed=count is None,
    )


def window_catalogue(
    cells: Mapping[CellKey, int], measure: Measure, granularity: Granularity, window: int, k: int
) -> list[FlowAggregateV1]:
    """Every published aggregate of one window and measure, suppressed."""
    start, end = from_index(window), from_index(window + SECONDS[granularity])
    total, groups_by_dim = margins(cells, measure, granularity, window)
    total_visible = not (0 < total < k)
    lines: list[tuple[Dimension, dict[str, int], frozenset[int], tuple[str, ...]]] = []
    for dim, groups in zip(DIMENSIONS[measure], groups_by_dim, strict=True):
        keys = tuple(sorted(groups))
        line = suppress_line(groups, keys, k)
        if dim not in MULTI_VALUED and line.total() is None:
            total_visible = False
        lines.append((PUBLISHED_NAME.get(dim, dim), groups, line.hidden, keys))  # type: ignore[arg-type]
    out = [_aggregate(granularity, start, end, measure, {}, total if total_visible else None)]
    for name, groups, hidden, keys in lines:
        for index, value in enumerate(keys):
            shown = None if index in hidden else groups[value]
            out.append(_aggregate(granularity, start, end, measure, {name: value}, shown))
    return out
