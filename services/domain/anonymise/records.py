"""One raw CSV row in, one anonymised CloudEvent out (or a `RowError` naming columns and fields).

The row is read only through the mapping: hashed columns go into tokens, the date of birth into
an age band, mapped columns into contract fields; nothing else of the row reaches the event.
The event is then parsed with the contract parser, direct-identifier guard included, so what
leaves the agency is exactly what ingestion would accept.
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

from schemas.envelope import parse_structured
from schemas.errors import ContractError
from services.domain.anonymise.mapping import FieldSpec, Mapping, MappingError
from services.domain.anonymise.pseudonyms import Pseudonymiser, age_band

TRUE = frozenset({"true", "yes", "y", "1"})
FALSE = frozenset({"false", "no", "n", "0"})


class RowError(ValueError):
    """A row that cannot become a valid event; `reasons` name columns and paths, never values."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("; ".join(reasons))


class Anonymiser:
    """Turns rows into events for one mapping and one agency key."""

    def __init__(self, mapping: Mapping, key: bytes) -> None:
        self.mapping = mapping
        self._pseudonyms = Pseudonymiser(key)
        self._zone = _zone(mapping.time.timezone)

    def __repr__(self) -> str:
        return f"Anonymiser(event_type={self.mapping.event_type!r}, key=<hidden>)"

    def unmapped(self, header: Iterable[str]) -> list[str]:
        """Columns of the file that the mapping neither reads nor drops: dropped, with a warning."""
        known = self.mapping.used_columns() | set(self.mapping.drop)
        return [column for column in header if column not in known]

    def event(self, row: dict[str, str], *, now: datetime) -> dict[str, Any]:
        """The anonymised event of `row`, checked against the contract as of `now`."""
        reasons: list[str] = []
        when = self._time(row, reasons)
        data = self._data(row, when, reasons)
        if reasons:
            raise RowError(reasons)
        assert when is not None  # a missing time was reported above
        event = self._envelope(row, when, data)
        try:
            parse_structured(orjson.dumps(event), now=now)
        except ContractError as error:
            raise RowError([str(problem) for problem in error.problems]) from None
        return event

    def _envelope(
        self, row: dict[str, str], when: datetime, data: dict[str, Any]
    ) -> dict[str, Any]:
        mapping = self.mapping
        id_columns = mapping.pseudonyms.event_id or tuple(row)
        return {
            "specversion": "1.0",
            "id": self._pseudonyms.token("event", "e_", [row.get(c) or "" for c in id_columns]),
            "source": mapping.event_source,
            "type": mapping.event_type,
            "time": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "subject": data["person_ref"],
            "datacontenttype": "application/json",
            "agency": mapping.agency,
            "data": data,
        }

    def _time(self, row: dict[str, str], reasons: list[str]) -> datetime | None:
        spec = self.mapping.time
        cell = (row.get(spec.column) or "").strip()
        try:
            parsed = (
                datetime.strptime(cell, spec.format)
                if spec.format
                else datetime.fromisoformat(cell)
            )
        except ValueError:
            reasons.append(f"column {spec.column}: not a date-time in the mapped format")
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=self._zone)

    def _data(
        self, row: dict[str, str], when: datetime | None, reasons: list[str]
    ) -> dict[str, Any]:
        pseudonyms = self.mapping.pseudonyms
        data: dict[str, Any] = {
            "person_ref": self._token(row, "person", "p_", pseudonyms.person_ref, reasons)
        }
        if pseudonyms.household_ref and any(
            (row.get(c) or "").strip() for c in pseudonyms.household_ref
        ):
            data["household_ref"] = self._token(
                row, "household", "h_", pseudonyms.household_ref, reasons
            )
        if self.mapping.age_band is not None and when is not None:
            _put(data, "demographics.age_band", self._age(row, when.date(), reasons))
        for path, spec in self.mapping.fields.items():
            value = _value(row, path, spec, reasons)
            if value is not None:
                _put(data, path, value)
        return data

    def _token(
        self,
        row: dict[str, str],
        kind: str,
        prefix: str,
        columns: tuple[str, ...],
        reasons: list[str],
    ) -> str:
        values = [(row.get(c) or "").strip() for c in columns]
        if not any(values):
            reasons.append(f"columns {', '.join(columns)}: all empty, cannot make a {kind} token")
        return self._pseudonyms.token(kind, prefix, values)

    def _age(self, row: dict[str, str], on: date, reasons: list[str]) -> str | None:
        spec = self.mapping.age_band
        assert spec is not None
        try:
            return age_band(
                datetime.strptime((row.get(spec.column) or "").strip(), spec.format).date(), on
            )
        except ValueError:
            reasons.append(f"column {spec.column}: not a valid date of birth before the event date")
            return None


def _value(row: dict[str, str], path: str, spec: FieldSpec, reasons: list[str]) -> Any:
    if spec.column is None:
        return spec.constant
    cell = (row.get(spec.column) or "").strip()
    if spec.split is not None:
        items = [item.strip() for item in cell.split(spec.split) if item.strip()]
        converted = [_convert(item, path, spec, reasons) for item in items]
        return converted if converted else (spec.default or [])
    if not cell and (spec.map is None or cell not in spec.map):
        return spec.default
    return _convert(cell, path, spec, reasons)


def _convert(cell: str, path: str, spec: FieldSpec, reasons: list[str]) -> Any:
    where = f"column {spec.column} -> {path}"
    if spec.map is not None:
        if cell in spec.map:
            return spec.map[cell]
        if spec.default is not None:
            return spec.default
        reasons.append(f"{where}: value not in the mapping's `map`")
        return None
    if spec.type == "int":
        if cell.isdigit():
            return int(cell)
        reasons.append(f"{where}: not a whole number")
        return None
    if spec.type == "bool":
        if cell.casefold() in TRUE | FALSE:
            return cell.casefold() in TRUE
        reasons.append(f"{where}: not a yes/no value")
        return None
    return cell


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    target = data
    for name in parents:
        target = target.setdefault(name, {})
    target[leaf] = value


def _zone(name: str) -> tzinfo:
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise MappingError(f"time.timezone: unknown time zone {name}") from None
