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
from services.domain.flows import CellKey, rollup, suppress_line
from services.domain.flows.keys import DIMENSIONS, MULTI_VALUED, Measure
from services.domain.flows.rollup import GroupValue
from services.domain.flows.windows import SECONDS, Granularity, from_index

PUBLISHED_NAME: dict[str, Dimension] = {
    "movement_reasons": "movement_reason",
    "reintegration_needs": "reintegration_need",
}
"""Finest dimension -> the contract's dimension name, where they differ."""


def code(value: GroupValue) -> str:
    """A group value as a contract code: no value is `unknown`, `n/a` is `not_applicable`."""
    if value is None:
        return "unknown"
    if value == "n/a":
        return "not_applicable"
    return str(value)


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
    scope = {"measure": measure, "granularity": granularity, "start": start, "end": end}
    total = sum(rollup(cells, **scope).values())  # type: ignore[arg-type]
    total_visible = not (0 < total < k)
    lines: list[tuple[Dimension, dict[str, int], frozenset[int], tuple[str, ...]]] = []
    for dim in DIMENSIONS[measure]:
        groups: dict[str, int] = {}
        for key, count in rollup(cells, group_by=[dim], **scope).items():  # type: ignore[arg-type]
            groups[code(key[0])] = groups.get(code(key[0]), 0) + count
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
