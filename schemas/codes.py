"""Code lists shared by the contracts: pseudonyms, countries, age bands and closed enumerations.

Country codes come from `pycountry` (the ISO 3166 list kept by Debian's iso-codes project), never
from a hand-typed list. Literal types are used for closed lists because pydantic-core checks them
with a hash lookup and publishes them as JSON Schema `enum`s that agencies can validate against.
"""

from typing import TYPE_CHECKING, Annotated, Literal

import pycountry
from pydantic import StringConstraints

EventId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")]
"""Unique per source: 1-128 letters, digits, `.`, `_`, `:`, `-` (a UUID fits)."""

PersonRef = Annotated[str, StringConstraints(pattern=r"^p_[0-9a-f]{32}$")]
"""Pseudonymous person token: `p_` + 32 lowercase hex (HMAC-SHA256 made on the agency side)."""

HouseholdRef = Annotated[str, StringConstraints(pattern=r"^h_[0-9a-f]{32}$")]
"""Pseudonymous household token: `h_` + 32 lowercase hex."""

AgencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$", max_length=40)]
"""Agency code: upper-case letters, digits and single dashes, e.g. `ITA-MOI`, `UNHCR`."""

Admin1Code = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}[-]?[A-Z0-9]{1,6}$")]
"""First-level subdivision: an ISO 3166-2 code (`IT-82`) or an OCHA P-code (`IT19`)."""

IscoCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,4}$")]
"""ISCO-08 occupation code, from major group (1 digit) to unit group (4 digits)."""

ISO_ALPHA3: tuple[str, ...] = tuple(sorted(c.alpha_3 for c in pycountry.countries))
STATELESS = "XXA"
UNKNOWN_NATIONALITY = "XXX"

if TYPE_CHECKING:
    CountryCode = str
    NationalityCode = str
else:
    CountryCode = Literal[ISO_ALPHA3]
    NationalityCode = Literal[(*ISO_ALPHA3, STATELESS, UNKNOWN_NATIONALITY)]

AgeBand = Literal["0-4", "5-11", "12-17", "18-24", "25-59", "60+"]
AGE_BANDS: tuple[AgeBand, ...] = ("0-4", "5-11", "12-17", "18-24", "25-59", "60+")
CHILD_AGE_BANDS: frozenset[AgeBand] = frozenset({"0-4", "5-11", "12-17"})

Sex = Literal["female", "male", "other", "unknown"]
SiteType = Literal[
    "land_border",
    "sea_arrival",
    "airport",
    "reception_centre",
    "transit_point",
    "urban",
    "detention",
]
LegalStatus = Literal[
    "none",
    "asylum_seeker",
    "recognised_refugee",
    "stateless",
    "regular_migrant",
    "irregular_migrant",
    "unknown",
]
DocumentStatus = Literal["valid", "partial", "none"]
TravelMode = Literal["sea", "land", "air"]
TraffickingIndicator = Literal[
    "deception",
    "debt_bondage",
    "confiscated_documents",
    "forced_labour",
    "sexual_exploitation",
    "restricted_movement",
    "other",
]
MedicalNeed = Literal["none", "chronic", "urgent"]
FamilyInDestination = Literal["none", "nuclear", "extended"]
Education = Literal["none", "primary", "secondary", "tertiary", "unknown"]
SkillLevel = Literal["low", "medium", "high", "unknown"]
MovementReason = Literal[
    "conflict",
    "persecution",
    "generalised_violence",
    "economic",
    "family",
    "education",
    "climate_disaster",
    "environmental_degradation",
    "other",
]
ReturnType = Literal["assisted_voluntary", "spontaneous_voluntary", "forced"]
ReintegrationNeed = Literal[
    "economic", "social", "psychosocial", "housing", "documentation", "education", "legal"
]
ReferralStatus = Literal["pending", "accepted", "declined", "in_progress", "completed", "closed"]
ReferralUpdateStatus = Literal["accepted", "declined", "in_progress", "completed", "closed"]
Urgency = Literal["immediate", "high", "normal"]
URGENCY_RANK: dict[Urgency, int] = {"immediate": 0, "high": 1, "normal": 2}
Framework = Literal["GCM", "GCR", "BOTH"]
