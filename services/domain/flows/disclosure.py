"""Can a hidden entry of a published table be recomputed? Answered by exhibiting another completion.

The attacker's knowledge is modelled as: every visible value, every line equation of the table
(each row and column of cells sums to its total; the totals sum to the grand total), integrality,
and that every hidden value is at least 1 (zeros are always shown, so hidden means non-zero).
A hidden entry is *protected* when a second table exists that agrees with all of that and differs
at the entry. Such a table is a certificate anyone can check (see the tests); this module finds one.

How, for a 2-D table with margins, as an (R+1) x (C+1) grid whose last row and column are totals:
write y = x for cells and the grand total, y = -x for row and column totals. Then every row and
every column of y sums to zero, and the changes keeping all equations are exactly the circulations
on the bipartite graph whose vertices are the grid's rows and columns and whose edges are the
hidden entries. A change of +-1 around one cycle is enough (any feasible change contains a
conformal cycle), so: orient each hidden entry's edge row->col if raising y keeps x >= 1, col->row
if lowering it does, and look for a directed cycle through the entry (breadth-first search).
"""

from collections import deque
from collections.abc import Mapping, Set

Entry = tuple[int, int]
"""(row, column) in the extended grid; index R is the column-totals row, C the row-totals column."""
Grid = Mapping[Entry, int]


def sign(entry: Entry, n_rows: int, n_cols: int) -> int:
    """+1 for cells and the grand total, -1 for row and column totals (see the module doc)."""
    i, j = entry
    return 1 if (i == n_rows) == (j == n_cols) else -1


def _can_move(value: int, x_sign: int, dy: int) -> bool:
    # The value changes by x_sign * dy and must stay >= 1.
    return value + x_sign * dy >= 1


def _arcs(
    grid: Grid, hidden: Set[Entry], skip: Entry, n_rows: int, n_cols: int
) -> dict[int, list[tuple[int, Entry, int]]]:
    """Adjacency: node -> [(next node, entry, dy)]; rows are 0..R, columns R+1+j."""
    arcs: dict[int, list[tuple[int, Entry, int]]] = {}
    for entry in hidden:
        if entry == skip:
            continue
        i, j = entry
        row, col = i, n_rows + 1 + j
        s = sign(entry, n_rows, n_cols)
        if _can_move(grid[entry], s, +1):
            arcs.setdefault(row, []).append((col, entry, +1))
        if _can_move(grid[entry], s, -1):
            arcs.setdefault(col, []).append((row, entry, -1))
    return arcs


def _path(
    arcs: dict[int, list[tuple[int, Entry, int]]], source: int, target: int
) -> list[tuple[Entry, int]] | None:
    parent: dict[int, tuple[int, Entry, int]] = {}
    queue = deque([source])
    seen = {source}
    while queue:
        node = queue.popleft()
        if node == target:
            steps: list[tuple[Entry, int]] = []
            while node != source:
                previous, entry, dy = parent[node]
                steps.append((entry, dy))
                node = previous
            return steps
        for nxt, entry, dy in arcs.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                parent[nxt] = (node, entry, dy)
                queue.append(nxt)
    return None


def alternative_table(
    grid: Grid, hidden: Set[Entry], entry: Entry, n_rows: int, n_cols: int
) -> dict[Entry, int] | None:
    """New values for the hidden entries of a 2-D table, differing at `entry`; None if disclosed.

    `grid` holds every entry of the extended grid, `n_rows`/`n_cols` count the inner rows/columns.
    """
    arcs = _arcs(grid, hidden, entry, n_rows, n_cols)
    row, col = entry[0], n_rows + 1 + entry[1]
    s = sign(entry, n_rows, n_cols)
    for dy, source, target in ((+1, col, row), (-1, row, col)):
        if not _can_move(grid[entry], s, dy):
            continue
        steps = _path(arcs, source, target)
        if steps is None:
            continue
        values = {e: grid[e] for e in hidden}
        for changed, step_dy in [(entry, dy), *steps]:
            values[changed] += sign(changed, n_rows, n_cols) * step_dy
        return values
    return None


def alternative_line(values: list[int], hidden: Set[int], index: int) -> dict[int, int] | None:
    """New values for the hidden entries of a 1-D table (cells, then its total last) or None.

    The only equation is sum(cells) = total, so the entry must trade one unit with another
    hidden entry: with a cell in the opposite direction, with the total in the same direction.
    """
    last = len(values) - 1
    for other in sorted(hidden - {index}):
        for step in (+1, -1):
            same_side = (index == last) == (other == last)
            other_step = -step if same_side else step
            if values[index] + step >= 1 and values[other] + other_step >= 1:
                out = {h: values[h] for h in hidden}
                out[index] += step
                out[other] += other_step
                return out
    return None
