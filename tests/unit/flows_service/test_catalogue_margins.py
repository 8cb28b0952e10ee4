"""The catalogue's one-pass margins equal the query-time rollup, dimension by dimension."""

from random import Random

import pytest

from services.domain.flows import CellKey, rollup
from services.domain.flows.keys import DIMENSIONS, MULTI_VALUED, Measure
from services.domain.flows.windows import Granularity
from services.flows.catalogue import code, margins

pytestmark = pytest.mark.unit

WINDOW = 1_772_582_400
VALUES = ("ITA", "GRC", "n/a", None, "male", "0-4")
SETS = ((), ("conflict",), ("conflict", "economic"), ("n/a",))


def _cells(rng: Random, measure: Measure) -> dict[CellKey, int]:
    """Cells of the window and, to be left out, of its neighbours and of other measures."""
    cells: dict[CellKey, int] = {}
    for _ in range(400):
        kind: Measure = measure if rng.random() < 0.8 else "outcomes"
        dims = DIMENSIONS[kind]
        coords = tuple(
            rng.choice(SETS) if dim in MULTI_VALUED else rng.choice(VALUES) for dim in dims
        )
        window = WINDOW if rng.random() < 0.8 else WINDOW + rng.choice((-3600, 3600, 86400))
        granularity: Granularity = "hour" if rng.random() < 0.9 else "day"
        key = CellKey(kind, granularity, window, coords)
        cells[key] = cells.get(key, 0) + rng.randint(1, 9)
    return cells


def _by_rollup(cells: dict[CellKey, int], measure: Measure) -> tuple[int, list[dict[str, int]]]:
    scope = {"measure": measure, "granularity": "hour"}
    total = rollup(cells, **scope).get((), 0)  # type: ignore[arg-type]
    lines = []
    for dim in DIMENSIONS[measure]:
        line: dict[str, int] = {}
        grouped = rollup(cells, group_by=[dim], **scope).items()  # type: ignore[arg-type]
        for key, count in grouped:
            line[code(key[0])] = line.get(code(key[0]), 0) + count
        lines.append(line)
    return total, lines


@pytest.mark.parametrize("measure", ["arrivals", "returns", "referrals", "outcomes"])
@pytest.mark.parametrize("seed", range(5))
def test_margins_equal_the_rollup_per_dimension(measure: Measure, seed: int) -> None:
    cells = _cells(Random(seed), measure)
    window_only = {k: v for k, v in cells.items() if k.window == WINDOW}
    assert margins(cells, measure, "hour", WINDOW) == _by_rollup(window_only, measure)
