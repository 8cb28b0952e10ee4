"""Small-cell suppression: primary, secondary, and a proof that no hidden value can be recomputed.

The proof is two independent checks on random tables, for every hidden entry:
- over the reals: the published values and line equations leave the entry free (a rank test with
  exact fractions: its unit vector is not in the row space of the equations on hidden unknowns);
- over the integers, knowing hidden values are >= 1: a second completion exists, verified here
  line by line rather than trusted from the code that found it.
"""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.domain.flows.disclosure import Entry, alternative_line, alternative_table
from services.domain.flows.suppression import extend, suppress_line, suppress_table

pytestmark = pytest.mark.unit

counts = st.one_of(st.just(0), st.integers(1, 6), st.integers(7, 60))


@st.composite
def tables(draw: st.DrawFn) -> tuple[dict[tuple[int, int], int], list[int], list[int], int]:
    n_rows = draw(st.integers(1, 5))
    n_cols = draw(st.integers(1, 5))
    rows, cols = list(range(n_rows)), list(range(n_cols))
    cells = {(r, c): draw(counts) for r in rows for c in cols}
    return cells, rows, cols, draw(st.integers(2, 6))


def equations(n_rows: int, n_cols: int) -> list[list[Entry]]:
    """Each line of the extended grid: its inner entries and, last, the entry they sum to."""
    lines = [[(i, j) for j in range(n_cols + 1)] for i in range(n_rows + 1)]
    lines += [[(i, j) for i in range(n_rows + 1)] for j in range(n_cols + 1)]
    return lines


def rank(matrix: list[list[Fraction]]) -> int:
    rows = [row[:] for row in matrix]
    rank_, n_cols = 0, len(rows[0]) if rows else 0
    for col in range(n_cols):
        pivot = next((r for r in range(rank_, len(rows)) if rows[r][col] != 0), None)
        if pivot is None:
            continue
        rows[rank_], rows[pivot] = rows[pivot], rows[rank_]
        for r in range(len(rows)):
            if r != rank_ and rows[r][col] != 0:
                factor = rows[r][col] / rows[rank_][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[rank_], strict=True)]
        rank_ += 1
    return rank_


def determined_over_reals(hidden: set[Entry], entry: Entry, n_rows: int, n_cols: int) -> bool:
    unknowns = sorted(hidden)
    matrix = []
    for line in equations(n_rows, n_cols):
        *parts, whole = line
        coefficient = {e: Fraction(1) for e in parts} | {whole: Fraction(-1)}
        matrix.append([coefficient.get(u, Fraction(0)) for u in unknowns])
    unit = [Fraction(1 if u == entry else 0) for u in unknowns]
    return rank([*matrix, unit]) == rank(matrix)


def check_completion(
    grid: dict[Entry, int], hidden: set[Entry], entry: Entry, new: dict[Entry, int], shape: Entry
) -> None:
    n_rows, n_cols = shape
    assert set(new) == hidden, "a completion may only change hidden entries"
    table = grid | new
    for *parts, whole in equations(n_rows, n_cols):
        assert sum(table[e] for e in parts) == table[whole]
    assert all(table[e] >= 1 for e in hidden), "hidden entries are known to be non-zero"
    assert table[entry] != grid[entry]


@settings(max_examples=300, deadline=None)
@given(tables())
def test_no_hidden_entry_of_a_table_can_be_recomputed_from_what_it_publishes(
    table: tuple[dict[tuple[int, int], int], list[int], list[int], int],
) -> None:
    cells, rows, cols, k = table
    result = suppress_table(cells, rows, cols, k)
    grid = dict(result.values)
    hidden = set(result.hidden)
    shape = (len(rows), len(cols))
    for entry in hidden:
        assert not determined_over_reals(hidden, entry, *shape)
        new = alternative_table(grid, hidden, entry, *shape)
        assert new is not None
        check_completion(grid, hidden, entry, new, shape)


@settings(max_examples=300, deadline=None)
@given(tables())
def test_every_line_holding_a_hidden_entry_holds_at_least_two(
    table: tuple[dict[tuple[int, int], int], list[int], list[int], int],
) -> None:
    cells, rows, cols, k = table
    result = suppress_table(cells, rows, cols, k)
    for line in equations(len(rows), len(cols)):
        assert len(result.hidden.intersection(line)) != 1


@settings(max_examples=200, deadline=None)
@given(tables())
def test_small_counts_are_hidden_and_zeros_are_shown(
    table: tuple[dict[tuple[int, int], int], list[int], list[int], int],
) -> None:
    cells, rows, cols, k = table
    result = suppress_table(cells, rows, cols, k)
    for entry, value in result.values.items():
        if 0 < value < k:
            assert entry in result.hidden
        if value == 0:
            assert entry not in result.hidden


def test_a_single_small_cell_in_a_row_pulls_the_smallest_non_zero_cell_of_its_line() -> None:
    cells = {("a", "x"): 3, ("a", "y"): 10, ("b", "x"): 12, ("b", "y"): 20}
    cells |= {("c", "x"): 7, ("c", "y"): 9}
    result = suppress_table(cells, ["a", "b", "c"], ["x", "y"], 5)
    assert result.cell("a", "x") is None
    assert result.cell("a", "y") is None and result.cell("c", "x") is None
    assert result.cell("b", "y") == 20
    assert result.grand_total() == 61


def test_the_two_per_line_rule_alone_would_leave_a_bridge_cell_recomputable() -> None:
    # Two 2x2 blocks of hidden cells joined by one hidden cell (r1, c2): every line holds two
    # hidden entries, yet row sums minus column sums give the joining cell exactly.
    hidden = {(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 2), (2, 3), (3, 2), (3, 3)}
    assert determined_over_reals(hidden, (1, 2), 4, 4)
    assert not determined_over_reals(hidden, (0, 0), 4, 4)


def test_hidden_ones_that_must_stay_non_zero_are_protected_by_further_suppression() -> None:
    cells = {(0, 0): 1, (0, 1): 1, (0, 2): 50, (1, 0): 1, (1, 1): 1, (1, 2): 60}
    grid = extend(cells, [0, 1], [0, 1, 2])
    ones = {(0, 0), (0, 1), (1, 0), (1, 1)}
    # Over the reals the four ones are free, but each row's two ones sum to 2 and are >= 1.
    assert not determined_over_reals(ones, (0, 0), 2, 3)
    assert alternative_table(grid, ones, (0, 0), 2, 3) is None
    result = suppress_table(cells, [0, 1], [0, 1, 2], 2)
    assert result.hidden > ones
    assert alternative_table(grid, set(result.hidden), (0, 0), 2, 3) is not None


def test_a_table_below_the_threshold_everywhere_publishes_only_zeros() -> None:
    result = suppress_table({("a", "x"): 1, ("b", "y"): 2}, ["a", "b"], ["x", "y"], 5)
    published = result.published()
    assert {v for v in published.values() if v is not None} == {0}


@settings(max_examples=300, deadline=None)
@given(st.lists(counts, min_size=1, max_size=8), st.integers(2, 6))
def test_no_hidden_entry_of_a_line_with_its_total_can_be_recomputed(
    values: list[int], k: int
) -> None:
    keys = list(range(len(values)))
    line = suppress_line(dict(enumerate(values)), keys, k)
    full = list(line.values)
    assert len(line.hidden) != 1
    for index in line.hidden:
        new = alternative_line(full, set(line.hidden), index)
        assert new is not None
        assert set(new) == line.hidden
        table = full[:]
        for position, value in new.items():
            table[position] = value
        assert sum(table[:-1]) == table[-1]
        assert all(table[h] >= 1 for h in line.hidden)
        assert table[index] != full[index]


def test_a_line_hides_its_small_cell_and_the_next_smallest_one() -> None:
    line = suppress_line({"a": 3, "b": 10, "c": 40}, ["a", "b", "c"], 5)
    assert (line.get("a"), line.get("b"), line.get("c"), line.total()) == (None, None, 40, 53)


def test_a_line_whose_total_is_small_hides_the_total_too() -> None:
    line = suppress_line({"a": 3, "b": 0}, ["a", "b"], 5)
    assert (line.get("a"), line.get("b"), line.total()) == (None, 0, None)
