"""`org.mixflow.flow-aggregate.v1`: one cell of the monitored flows, on `mixflow.flows.aggregates`.

A cell counts events (or referrals) in one hour or day for one combination of closed dimensions
(e.g. nationality x age band x pathway). The flows service publishes a fixed catalogue: per
window and measure the total (no dimensions) and one table per dimension, each suppressed with its
total so that no hidden cell can be recomputed from what is published. Small cells are
suppressed for monitoring (PRODUCT.md §3): a suppressed cell has `suppressed=true` and no
`count` at all, so the number cannot leak.
"""

from datetime import timedelta
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from schemas.base import Contract

FLOW_AGGREGATE_V1 = "org.mixflow.flow-aggregate.v1"

Granularity = Literal["hour", "day"]
WINDOW: dict[Granularity, timedelta] = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
Measure = Literal["events", "arrivals", "returns", "referrals", "outcomes"]
"""`arrivals`/`returns` count people, `referrals` (person, pathway) pairs, `outcomes` referral
outcomes from case changes; `events` counts arrivals and returns together."""
Dimension = Literal[
    "event_type",
    "event_kind",
    "country",
    "admin1",
    "site_type",
    "nationality",
    "sex",
    "age_band",
    "legal_status",
    "documents",
    "travel_mode",
    "origin_country",
    "movement_reason",
    "reintegration_need",
    "protection_signal",
    "return_type",
    "host_country",
    "return_country",
    "pathway",
    "framework",
    "urgency",
    "outcome",
    "sla",
    "agency",
]
"""The keys a cell may be cut by: codes only, nothing that narrows a cell to a person."""
DimensionValue = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.+\-]{0,63}$")]


class FlowAggregateV1(Contract):
    """Count of `measure` in [`window_start`, `window_end`) for one combination of dimensions."""

    schema_version: Literal[1] = 1
    granularity: Granularity
    window_start: AwareDatetime
    window_end: AwareDatetime
    measure: Measure = "events"
    dimensions: Annotated[dict[Dimension, DimensionValue], Field(max_length=8)]
    count: Annotated[int, Field(ge=0)] | None
    suppressed: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.window_end - self.window_start != WINDOW[self.granularity]:
            raise PydanticCustomError(
                "window_mismatch",
                "window is not one {granularity}",
                {"granularity": self.granularity},
            )
        if self.suppressed != (self.count is None):
            raise PydanticCustomError(
                "suppression_mismatch", "a suppressed cell has no count; any other cell has one"
            )
        return self
