"""Running a simulation within bounds: at most `max_events` events and `time_budget_s` seconds.

The sample is streamed into the domain's `Simulation`; when a bound is reached the report says
`truncated` and covers the events routed so far, so a large sample never holds a request open
(or a terminal) for unbounded time.
"""

import time
from collections.abc import Callable, Iterable
from typing import Any

from services.domain.rules.decision import RoutableEvent
from services.domain.rules.engine import CompiledRuleset
from services.domain.ruleset_admin import ImpactReport, Simulation

PROGRESS_EVERY = 1000


def run_simulation(
    events: Iterable[RoutableEvent | None],
    candidate: CompiledRuleset,
    baseline: CompiledRuleset,
    *,
    max_events: int,
    time_budget_s: float,
    examples: int = 5,
    progress: Callable[[int], Any] | None = None,
) -> ImpactReport:
    simulation = Simulation(candidate, baseline, examples=examples)
    deadline = time.monotonic() + time_budget_s
    seen, truncated = 0, False
    for event in events:
        if seen >= max_events:
            truncated = True
            break
        if event is None:
            simulation.skip()
        else:
            simulation.add(event)
        seen += 1
        if seen % PROGRESS_EVERY == 0:
            if progress is not None:
                progress(seen)
            if time.monotonic() > deadline:
                truncated = True
                break
    if progress is not None:
        progress(seen)
    return simulation.report(truncated=truncated)
