"""The flow cube: counts of the finest cells per (measure, granularity, window, coordinates).

Folding is the hot path: one observation touches `len(cells_of(obs))` cells per granularity
(one person cell plus one per distinct pathway, or one outcome cell), each a dict increment.
Marginals are never stored; `rollup.py` derives them from these cells at query time.

Late events: each granularity judges lateness on its own (an event can be too late for its hour
but still inside its day). A too-late event is counted in `late` under the same key, so nothing
is lost and a later correction can reconcile it. The cube is in-memory state for one partition;
the service keeps it in a Faust table, not here.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from services.domain.flows.keys import Coords, Measure, Observation, cells_of
from services.domain.flows.windows import (
    GRANULARITIES,
    SECONDS,
    Granularity,
    epoch_seconds,
)


class CellKey(NamedTuple):
    """Where a count lives: measure, granularity, window start (epoch s, UTC), coordinates."""

    measure: Measure
    granularity: Granularity
    window: int
    coords: Coords


Cells = dict[CellKey, int]
_new_key = tuple.__new__


@dataclass(frozen=True, slots=True)
class Folded:
    """What folding one observation did: cells counted on time and cells counted as too late."""

    counted: int
    late: int


@dataclass(slots=True)
class FlowCube:
    """Counts observations into tumbling windows; `grace` is how long a window stays open."""

    grace: timedelta = timedelta(hours=1)
    granularities: tuple[Granularity, ...] = GRANULARITIES
    cells: Cells = field(default_factory=dict)
    late: Cells = field(default_factory=dict)
    watermark: int | None = None
    """Largest event time folded so far, in epoch seconds (stream time, not wall time)."""

    def advance(self, watermark: datetime) -> None:
        """Move stream time forward (e.g. on an idle partition); it never moves back."""
        seconds = epoch_seconds(watermark)
        if self.watermark is None or seconds > self.watermark:
            self.watermark = seconds

    def fold(self, obs: Observation) -> Folded:
        """Count one observation in every granularity; return how many cells it touched."""
        ts = epoch_seconds(obs.event_time)
        grace = int(self.grace.total_seconds())
        touched = cells_of(obs)
        counted = late = 0
        for granularity in self.granularities:
            size = SECONDS[granularity]
            window = ts // size * size
            too_late = self.watermark is not None and window + size + grace <= self.watermark
            target = self.late if too_late else self.cells
            get = target.get
            for measure, coords in touched:
                # tuple.__new__ skips the NamedTuple constructor's extra Python frame (hot path).
                key = _new_key(CellKey, (measure, granularity, window, coords))
                target[key] = get(key, 0) + 1
            if too_late:
                late += len(touched)
            else:
                counted += len(touched)
        if self.watermark is None or ts > self.watermark:
            self.watermark = ts
        return Folded(counted=counted, late=late)

    def late_total(self, measure: Measure, granularity: Granularity) -> int:
        """How many too-late cell counts a measure has at one granularity."""
        return sum(
            count
            for key, count in self.late.items()
            if key.measure == measure and key.granularity == granularity
        )
