"""The base every contract model shares: frozen, strict and closed to unknown fields."""

from pydantic import BaseModel, ConfigDict


class Contract(BaseModel):
    """A versioned, immutable value object that rejects unknown fields and loose types.

    Strict mode keeps JSON honest ("true" is not a boolean, "3" is not a number) while still
    accepting RFC 3339 strings for datetimes when parsing JSON.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
