"""The mapping file: how an agency's CSV columns become the fields of an event contract.

An agency writes it once per export format (YAML, see docs/contracts.md). It says which columns
are hashed into `person_ref` / `household_ref` / the event id, which column is the date of birth
(turned into an age band, never copied), which column holds the event time, how the other
columns map onto contract fields (with value maps for codes, list splitting, constants) and
which columns are dropped on purpose. `check_mapping` refuses a mapping that targets a field the
contract does not have or that would copy a dropped column.
"""

from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from schemas.codes import AgencyCode
from schemas.events import ArrivalData, ReturnData
from schemas.events.arrival import ARRIVAL_V1
from schemas.events.returns import RETURN_V1

EventType = Literal["org.mixflow.arrival.v1", "org.mixflow.return.v1"]
DATA_MODEL: dict[str, type[BaseModel]] = {ARRIVAL_V1: ArrivalData, RETURN_V1: ReturnData}
Column = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Scalar = str | bool | int | None


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeSpec(_Config):
    """The event time: a column, its `strptime` format (ISO 8601 if omitted), its time zone."""

    column: Column
    format: str | None = None
    timezone: str = "UTC"


class AgeSpec(_Config):
    """The date-of-birth column, read with `format`, turned into an age band at the event date."""

    column: Column
    format: str = "%Y-%m-%d"


class Pseudonyms(_Config):
    """Columns hashed (HMAC-SHA256 with the agency key) into each token."""

    person_ref: Annotated[tuple[Column, ...], Field(min_length=1)]
    household_ref: tuple[Column, ...] = ()
    event_id: tuple[Column, ...] = ()
    """Empty: the whole row, so the same record always gets the same id."""


class FieldSpec(_Config):
    """One contract field: a constant, or a column read through `map` / `split` / `type`."""

    constant: Scalar | list[Scalar] = None
    column: Column | None = None
    map: dict[str, Scalar] | None = None
    split: Annotated[str, StringConstraints(min_length=1)] | None = None
    type: Literal["str", "int", "bool"] = "str"
    default: Scalar | list[Scalar] = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.column is None) == (self.constant is None):
            raise ValueError("give either `column` or `constant`")
        return self


class Mapping(_Config):
    version: Literal[1] = 1
    event_type: EventType
    agency: AgencyCode
    source: str | None = None
    time: TimeSpec
    pseudonyms: Pseudonyms
    age_band: AgeSpec | None = None
    fields: dict[str, FieldSpec]
    drop: tuple[Column, ...] = ()

    @property
    def event_source(self) -> str:
        return self.source or f"urn:mixflow:agency:{self.agency}"

    def used_columns(self) -> set[str]:
        """Columns read for any purpose (hashing, age, time, fields)."""
        columns = {self.time.column, *self.pseudonyms.person_ref, *self.pseudonyms.household_ref}
        columns.update(self.pseudonyms.event_id)
        if self.age_band is not None:
            columns.add(self.age_band.column)
        columns.update(spec.column for spec in self.fields.values() if spec.column is not None)
        return columns


class MappingError(ValueError):
    """The mapping file is not usable; the message names the key, never a data value."""


def check_mapping(document: Any) -> Mapping:
    """Validate a parsed YAML mapping and its targets against the event contract."""
    try:
        mapping = Mapping.model_validate(document)
    except ValidationError as exc:
        where = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'mapping'}: {e['msg']}" for e in exc.errors()
        )
        raise MappingError(where or "not a mapping") from None
    allowed = leaf_fields(DATA_MODEL[mapping.event_type]) - {"person_ref", "household_ref"}
    unknown = sorted(set(mapping.fields) - allowed)
    if unknown:
        raise MappingError(f"fields not in {mapping.event_type}: {', '.join(unknown)}")
    if mapping.age_band is not None and "demographics.age_band" in mapping.fields:
        raise MappingError("demographics.age_band is set both by `age_band` and by `fields`")
    copied = sorted(
        {s.column for s in mapping.fields.values() if s.column is not None} & set(mapping.drop)
    )
    if copied:
        raise MappingError(f"dropped columns must not be mapped to fields: {', '.join(copied)}")
    return mapping


def leaf_fields(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Dotted paths of the non-model fields of `model`, e.g. `protection.asylum_intent`."""
    paths: set[str] = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            paths |= leaf_fields(annotation, f"{prefix}{name}.")
        else:
            paths.add(f"{prefix}{name}")
    return paths
