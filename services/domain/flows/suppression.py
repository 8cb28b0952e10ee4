"""Small-cell suppression for published tables: primary, then secondary until nothing is derivable.

Primary: every entry (cell or total) from 1 to k-1 is hidden. Zeros are shown: a zero count
discloses nobody, and hiding zeros would make every sparse table unreadable.

Secondary: while some hidden entry is not protected (`disclosure.py`: no other completion
consistent with the published values, the line equations and "hidden means >= 1"), hide one
more non-zero visible entry. Candidates on the exposed entry's own row or column come first
(so a line with a single hidden entry gets its smallest non-zero entry hidden, the classic rule),
then the rest of the table; among them the smallest value that protects the entry, else the
smallest value. Hiding only adds edges to the graph, so protected entries stay protected.

Guarantee: when `suppress_table`/`suppress_line` return, every hidden entry has a second
completion, so no hidden value can be recomputed from what the table publishes. The loop ends:
each round hides one more entry, and once every non-zero entry is hidden each is protected (raise
a cell, its row total, its column total and the grand total together). Not guaranteed: a wide
protection interval, and safety across several tables cut from the same cube (linked tables);
publish a fixed set of tables, each with its own margins.
"""

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from services.domain.flows.disclosure import Entry, alternative_line, alternative_table

R = TypeVar("R", bound=Hashable)
C = TypeVar("C", bound=Hashable)
K = TypeVar("K", bound=Hashable)


def is_small(value: int, k: int) -> bool:
    """Primary rule: counts from 1 to k-1 are hidden."""
    return 0 < value < k


def _secondary(
    values: Mapping[Entry, int],
    hidden: set[Entry],
    lines: Callable[[Entry], set[Entry]],
    protected: Callable[[set[Entry], Entry], bool],
) -> None:
    """Hide entries until every hidden entry is protected (mutates `hidden`)."""
    pending = sorted(hidden)
    while pending:
        entry = pending.pop(0)
        if protected(hidden, entry):
            continue
        own = lines(entry)
        visible = sorted(
            (e for e in values if e not in hidden and values[e] > 0), key=lambda e: (values[e], e)
        )
        near = [e for e in visible if e in own]
        far = [e for e in visible if e not in own]
        choice = next((e for e in near + far if protected(hidden | {e}, entry)), None)
        if choice is None:
            # No single entry protects it; widen the suppression and look again.
            choice = (near or far)[0]
            pending.insert(0, entry)
        hidden.add(choice)
        pending.append(choice)


@dataclass(frozen=True, slots=True)
class SuppressedTable(Generic[R, C]):
    """A 2-D table with row totals, column totals and grand total, after suppression."""

    rows: tuple[R, ...]
    cols: tuple[C, ...]
    values: Mapping[Entry, int]
    hidden: frozenset[Entry]
    primary: frozenset[Entry]

    def _get(self, entry: Entry) -> int | None:
        return None if entry in self.hidden else self.values[entry]

    def cell(self, row: R, col: C) -> int | None:
        return self._get((self.rows.index(row), self.cols.index(col)))

    def row_total(self, row: R) -> int | None:
        return self._get((self.rows.index(row), len(self.cols)))

    def col_total(self, col: C) -> int | None:
        return self._get((len(self.rows), self.cols.index(col)))

    def grand_total(self) -> int | None:
        return self._get((len(self.rows), len(self.cols)))

    def published(self) -> dict[Entry, int | None]:
        """Every entry of the extended grid as published: None where hidden."""
        return {entry: self._get(entry) for entry in self.values}


def extend(
    counts: Mapping[tuple[R, C], int], rows: Sequence[R], cols: Sequence[C]
) -> dict[Entry, int]:
    """The extended grid: cells, row totals (last column), column totals (last row), grand total."""
    n_rows, n_cols = len(rows), len(cols)
    grid = {(i, j): counts.get((r, c), 0) for i, r in enumerate(rows) for j, c in enumerate(cols)}
    for i in range(n_rows):
        grid[(i, n_cols)] = sum(grid[(i, j)] for j in range(n_cols))
    for j in range(n_cols + 1):
        grid[(n_rows, j)] = sum(grid[(i, j)] for i in range(n_rows))
    return grid


def suppress_table(
    counts: Mapping[tuple[R, C], int], rows: Sequence[R], cols: Sequence[C], k: int
) -> SuppressedTable[R, C]:
    """Suppress a rows x cols table published with its margins (missing cells count 0)."""
    grid = extend(counts, rows, cols)
    n_rows, n_cols = len(rows), len(cols)
    primary = {e for e, v in grid.items() if is_small(v, k)}
    hidden = set(primary)

    def lines(entry: Entry) -> set[Entry]:
        return {e for e in grid if e[0] == entry[0] or e[1] == entry[1]}

    def protected(hide: set[Entry], entry: Entry) -> bool:
        return alternative_table(grid, hide, entry, n_rows, n_cols) is not None

    _secondary(grid, hidden, lines, protected)
    return SuppressedTable(tuple(rows), tuple(cols), grid, frozenset(hidden), frozenset(primary))


@dataclass(frozen=True, slots=True)
class SuppressedLine(Generic[K]):
    """A 1-D table published with its total, after suppression."""

    keys: tuple[K, ...]
    values: tuple[int, ...]
    """The counts in `keys` order, then the total."""
    hidden: frozenset[int]

    def get(self, key: K) -> int | None:
        index = self.keys.index(key)
        return None if index in self.hidden else self.values[index]

    def total(self) -> int | None:
        last = len(self.keys)
        return None if last in self.hidden else self.values[last]


def suppress_line(counts: Mapping[K, int], keys: Sequence[K], k: int) -> SuppressedLine[K]:
    """Suppress a 1-D table published with its total (missing keys count 0)."""
    values = [counts.get(key, 0) for key in keys]
    values.append(sum(values))
    as_grid = {(0, j): v for j, v in enumerate(values)}
    hidden = {(0, j) for j, v in enumerate(values) if is_small(v, k)}

    def protected(hide: set[Entry], entry: Entry) -> bool:
        return alternative_line(values, {j for _, j in hide}, entry[1]) is not None

    _secondary(as_grid, hidden, lambda _: set(as_grid), protected)
    return SuppressedLine(tuple(keys), tuple(values), frozenset(j for _, j in hidden))
