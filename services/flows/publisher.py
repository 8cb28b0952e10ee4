"""Publishing the aggregates of the windows that counting changed.

Runs on the flows service's timer. Database work runs in a thread so the event loop keeps
consuming. Aggregates are recomputed from the database (all partitions summed) for each window
a flush touched, and only those whose count or suppression changed are sent again; the topic is
compacted, so the latest record per cell is what a reader gets.
"""

import asyncio
import logging
from collections import OrderedDict
from typing import Any, Protocol

from services.domain.flows.windows import SECONDS, from_index
from services.flows.catalogue import cell_key, window_catalogue
from services.flows.store import FlowCellStore, Window

log = logging.getLogger(__name__)


class Sink(Protocol):
    async def send(self, *, key: bytes, value: bytes) -> Any: ...


REMEMBERED_CELLS = 50_000
"""Published cells whose last count is kept to skip unchanged ones (about 250 bytes each).

Bounded because windows keep coming: kept forever, a year of hour windows grew this by millions
of entries. Forgetting a cell only means its aggregate may be sent once more unchanged, which
readers of the compacted topic do not notice. Only windows still counting (the current ones and
those within the grace period) are published again, a few thousand cells at a time; 50,000
holds days of them. At 200,000 the bound took 40 days of event time to fill and was 50 MB of
a worker's memory: a soak of a million events saw flows grow all the way through it."""


class Publisher:
    def __init__(
        self,
        store: FlowCellStore,
        sink: Sink | None,
        k: int,
        *,
        remembered: int = REMEMBERED_CELLS,
    ) -> None:
        self._store = store
        self._sink = sink
        self._k = k
        self._remembered = remembered
        self._last: OrderedDict[str, int | None] = OrderedDict()
        self._pending: set[Window] = set()
        self.published = 0

    def attach(self, sink: Sink) -> None:
        self._sink = sink

    def mark(self, windows: set[Window]) -> None:
        """Windows whose counts changed; their aggregates are sent on the next `publish`."""
        self._pending |= windows

    async def publish(self) -> None:
        """Recompute and send the aggregates of the windows stored since the last publish.

        Kept apart from counting (and run less often): recomputing a window's catalogue with
        secondary suppression costs far more than adding a batch's increments.
        """
        windows, self._pending = self._pending, set()
        if self._sink is None or not windows:
            return
        records = await asyncio.to_thread(self._changed_aggregates, windows)
        for key, value in records:
            await self._sink.send(key=key, value=value)
        self.published += len(records)

    def _changed_aggregates(self, windows: set[Window]) -> list[tuple[bytes, bytes]]:
        out: list[tuple[bytes, bytes]] = []
        for measure, granularity, window in sorted(windows):
            start = from_index(window)
            end = from_index(window + SECONDS[granularity])  # type: ignore[index]
            cells = self._store.cells([measure], granularity, start, end)  # type: ignore[list-item,arg-type]
            for aggregate in window_catalogue(cells, measure, granularity, window, self._k):  # type: ignore[arg-type]
                key = cell_key(aggregate)
                unchanged = key in self._last and self._last[key] == aggregate.count
                self._last[key] = aggregate.count
                self._last.move_to_end(key)  # least recently published is forgotten first
                if len(self._last) > self._remembered:
                    self._last.popitem(last=False)
                if not unchanged:
                    out.append((key.encode(), aggregate.model_dump_json().encode()))
        return out
