"""How a cube cell is written down: its stored key, and its coordinates as stored text.

A key names the partition that counted it (`part`), so workers owning different partitions
never write the same row, and the database sums partitions at query time.
"""

from typing import NamedTuple

import orjson

from services.domain.flows import CellKey
from services.domain.flows.keys import Coords


class TableKey(NamedTuple):
    part: int
    late: bool
    cell: CellKey


def encode_coords(coords: Coords) -> str:
    return orjson.dumps(coords).decode()


def decode_coords(text: str) -> Coords:
    return tuple(tuple(v) if isinstance(v, list) else v for v in orjson.loads(text))


def encode_key(part: int, cell: CellKey, *, late: bool = False) -> str:
    coords = encode_coords(cell.coords)
    return f"{part}|{cell.measure}|{cell.granularity}|{cell.window}|{int(late)}|{coords}"


def decode_key(text: str) -> TableKey:
    part, measure, granularity, window, late, coords = text.split("|", 5)
    cell = CellKey(measure, granularity, int(window), decode_coords(coords))  # type: ignore[arg-type]
    return TableKey(int(part), late == "1", cell)
