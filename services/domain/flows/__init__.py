"""Flow monitoring, the pure core: keys, windows, the cube, rollups, suppression, indicators, HXL.

Boundaries: no Kafka, database, HTTP, environment or clock; event time and the suppression
threshold are passed in. The flows service keeps the cube's cells in Faust tables and calls
`FlowCube.fold` per decision or case change; the flows API calls `rollup`, the suppression
functions, `compute_indicators` and `to_hxl_csv`.
"""

from services.domain.flows.cube import CellKey, FlowCube, Folded
from services.domain.flows.indicators import IndicatorReport, Period, compute_indicators
from services.domain.flows.keys import OutcomeObserved, PersonObserved, ReferralMade
from services.domain.flows.rollup import rollup
from services.domain.flows.suppression import suppress_line, suppress_table
from services.domain.flows.windows import window_end, window_start

__all__ = [
    "CellKey",
    "FlowCube",
    "Folded",
    "IndicatorReport",
    "OutcomeObserved",
    "Period",
    "PersonObserved",
    "ReferralMade",
    "compute_indicators",
    "rollup",
    "suppress_line",
    "suppress_table",
    "window_end",
    "window_start",
]
