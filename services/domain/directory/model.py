"""The validated shape of `routing_rules/directory.yaml`.

Keys are checked against the closed code lists of the contracts (pathways, ISO 3166-1 alpha-3
countries, agency codes) so a typo fails at load time instead of silently routing to a fallback.
"""

from typing import Annotated

import pycountry
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from schemas.codes import Admin1Code, AgencyCode, CountryCode
from schemas.decisions import PathwayCode

PathwayAgencies = dict[PathwayCode, AgencyCode]


class CountryEntry(BaseModel):
    """One country: its national fallback, agencies by pathway, and regional overrides."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    national_fallback: AgencyCode
    pathways: PathwayAgencies = Field(default_factory=dict)
    admin1: dict[Admin1Code, PathwayAgencies] = Field(default_factory=dict)


class Directory(BaseModel):
    """The whole directory: a version, a global fallback and the countries it knows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Annotated[int, Field(ge=1)]
    global_fallback: AgencyCode
    countries: dict[CountryCode, CountryEntry]
    description: Annotated[str, StringConstraints(max_length=2000)] = ""

    @model_validator(mode="after")
    def _regions_belong_to_their_country(self) -> "Directory":
        # ISO 3166-2 codes and OCHA P-codes both start with the country's alpha-2 code, so a
        # region filed under the wrong country is caught here rather than never matching.
        for country, entry in self.countries.items():
            alpha2 = _alpha2(country)
            for region in entry.admin1:
                if not region.startswith(alpha2):
                    raise ValueError(
                        f"countries.{country}.admin1.{region}: region code must start with "
                        f"{alpha2}, the alpha-2 code of {country}"
                    )
        return self


def _alpha2(alpha3: str) -> str:
    country = pycountry.countries.get(alpha_3=alpha3)
    return str(country.alpha_2) if country is not None else ""
