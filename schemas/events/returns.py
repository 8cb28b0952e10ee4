"""`org.mixflow.return.v1`: a person returned, or was returned, to a country of origin."""

from typing import Annotated

from pydantic import Field

from schemas.base import Contract
from schemas.codes import (
    Admin1Code,
    CountryCode,
    HouseholdRef,
    IscoCode,
    MedicalNeed,
    PersonRef,
    ReintegrationNeed,
    ReturnType,
)
from schemas.events.common import Demographics

RETURN_V1 = "org.mixflow.return.v1"


class ReturnProtection(Contract):
    fear_of_return: bool
    unaccompanied_child: bool
    trafficking_victim: bool
    disability: bool = False
    medical_need: MedicalNeed = "none"


class ReturnData(Contract):
    """The non-identifying facts an agency records at a return."""

    person_ref: PersonRef
    household_ref: HouseholdRef | None = None
    return_type: ReturnType
    host_country: CountryCode
    return_country: CountryCode
    return_admin1: Admin1Code | None = None
    demographics: Demographics
    months_abroad: Annotated[int, Field(ge=0, le=600)]
    protection: ReturnProtection
    reintegration_needs: Annotated[list[ReintegrationNeed], Field(max_length=7)] = []
    worked_abroad: bool = False
    skills_acquired_abroad: bool = False
    occupation_isco: IscoCode | None = None
