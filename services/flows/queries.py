"""What the flows API answers, computed from stored cells and always suppressed.

A table has at most two group-bys: 1-D tables are published with their total and suppressed with
`suppress_line`, 2-D tables with row, column and grand totals through `suppress_table`; both
guarantee that no hidden entry can be recomputed from what the table publishes. Grouping by a
multi-valued dimension counts a person once per value, so such a line has no published total and
is suppressed against its own sum (which only hides more).
"""

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from services.domain.flows import CellKey, rollup, suppress_line, suppress_table
from services.domain.flows.indicators import IndicatorReport
from services.domain.flows.keys import MULTI_VALUED, Measure
from services.domain.flows.rollup import Filter, GroupValue
from services.domain.flows.windows import Granularity


def render(value: GroupValue) -> str | None:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, tuple):
        return " ".join(value)
    return value


@dataclass(frozen=True, slots=True)
class TableQuery:
    measure: Measure
    granularity: Granularity
    start: datetime
    end: datetime
    group_by: tuple[str, ...]
    filters: Mapping[str, Filter]
    k: int

    def groups(self, cells: Mapping[CellKey, int]) -> dict[tuple[GroupValue, ...], int]:
        return rollup(
            cells,
            measure=self.measure,
            granularity=self.granularity,
            group_by=self.group_by,
            filters=self.filters,
            start=self.start,
            end=self.end,
        )


def _order(values: set[GroupValue]) -> list[GroupValue]:
    return sorted(values, key=lambda v: (v is None, str(render(v))))


def suppressed_table(query: TableQuery, cells: Mapping[CellKey, int]) -> dict[str, Any]:
    """The table as JSON-ready data: rows of group values with count (None when hidden)."""
    groups = query.groups(cells)
    dims = list(query.group_by)
    body: dict[str, Any] = {"group_by": dims, "k": query.k}
    if not dims:
        value = groups.get((), 0)
        body |= {"rows": [], "total": None if 0 < value < query.k else value}
        return body
    if len(dims) == 1:
        keys = _order({key[0] for key in groups})
        line = suppress_line({key[0]: v for key, v in groups.items()}, keys, query.k)
        body["rows"] = [
            {dims[0]: render(key), "count": line.get(key), "suppressed": line.get(key) is None}
            for key in keys
        ]
        body["total"] = None if dims[0] in MULTI_VALUED else line.total()
        return body
    rows = _order({key[0] for key in groups})
    cols = _order({key[1] for key in groups})
    pairs = {(key[0], key[1]): count for key, count in groups.items()}
    table = suppress_table(pairs, rows, cols, query.k)
    body["rows"] = [
        {
            dims[0]: render(r),
            dims[1]: render(c),
            "count": table.cell(r, c),
            "suppressed": table.cell(r, c) is None,
        }
        for r in rows
        for c in cols
    ]
    body["row_totals"] = [{dims[0]: render(r), "count": table.row_total(r)} for r in rows]
    body["column_totals"] = [{dims[1]: render(c), "count": table.col_total(c)} for c in cols]
    body["total"] = table.grand_total()
    if set(dims) & MULTI_VALUED:
        # Overlapping groups: the sums are not totals of people, so they are not published.
        body["row_totals"], body["column_totals"], body["total"] = [], [], None
    return body


def indicators_json(report: IndicatorReport) -> dict[str, Any]:
    data = asdict(report)
    data["period"] = {
        "start": render(report.period.start),
        "end": render(report.period.end),
        "granularity": report.period.granularity,
    }
    for name in ("child_protection_within_sla", "protection_signal_referred_to_asylum"):
        data[name]["share"] = getattr(report, name).share
    for name in ("reintegration_needs", "movement_drivers"):
        for item, share in zip(data[name], getattr(report, name), strict=True):
            item["share"] = share.share
    return data
