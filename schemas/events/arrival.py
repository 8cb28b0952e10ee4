"""`org.mixflow.arrival.v1`: a person was met at a border, reception point or in a city."""

from typing import Annotated

from pydantic import Field

from schemas.base import Contract
from schemas.codes import (
    Admin1Code,
    CountryCode,
    DocumentStatus,
    Education,
    FamilyInDestination,
    HouseholdRef,
    IscoCode,
    LegalStatus,
    MedicalNeed,
    MovementReason,
    PersonRef,
    SiteType,
    SkillLevel,
    TraffickingIndicator,
    TravelMode,
)
from schemas.events.common import Demographics

ARRIVAL_V1 = "org.mixflow.arrival.v1"


class Location(Contract):
    country: CountryCode
    admin1: Admin1Code | None = None
    site_type: SiteType


class Journey(Contract):
    origin_country: CountryCode
    departure_country: CountryCode | None = None
    transit_countries: Annotated[list[CountryCode], Field(max_length=20)] = []
    mode: TravelMode
    smuggler_involved: bool | None = None


class ArrivalProtection(Contract):
    asylum_intent: bool
    fear_of_return: bool
    unaccompanied_child: bool
    separated_child: bool
    trafficking_indicators: Annotated[list[TraffickingIndicator], Field(max_length=7)] = []
    gbv_risk: bool = False
    disability: bool = False
    pregnant: bool = False
    medical_need: MedicalNeed = "none"
    family_in_destination: FamilyInDestination = "none"


class Livelihood(Contract):
    education: Education = "unknown"
    occupation_isco: IscoCode | None = None
    skill_level: SkillLevel = "unknown"
    job_offer: bool = False
    documented_qualifications: bool = False


class ArrivalData(Contract):
    """The non-identifying facts an agency records at arrival."""

    person_ref: PersonRef
    household_ref: HouseholdRef | None = None
    location: Location
    demographics: Demographics
    legal_status: LegalStatus
    documents: DocumentStatus
    journey: Journey
    protection: ArrivalProtection
    livelihood: Livelihood
    movement_reasons: Annotated[list[MovementReason], Field(max_length=9)] = []
