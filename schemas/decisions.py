"""`org.mixflow.decision.v1`: where the router referred one arrival or return, and why.

A decision names the ruleset that made it (id, version, digest), every referral with the rule
and the conditions that produced it, the referrals a safeguard removed, and the event's
non-identifying facts that case management and flow monitoring need downstream. It carries
no direct identifiers: only the pseudonymous `person_ref` / `household_ref` of the event.
"""

import hashlib
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from schemas.base import Contract
from schemas.codes import (
    Admin1Code,
    AgeBand,
    AgencyCode,
    CountryCode,
    DocumentStatus,
    EventId,
    Framework,
    HouseholdRef,
    LegalStatus,
    MovementReason,
    NationalityCode,
    PersonRef,
    ReintegrationNeed,
    ReturnType,
    Sex,
    SiteType,
    TravelMode,
    Urgency,
)

DECISION_V1 = "org.mixflow.decision.v1"

PathwayCode = Literal[
    "ASYLUM_PROCEDURE",
    "RESETTLEMENT_ASSESSMENT",
    "COMPLEMENTARY_PATHWAYS",
    "FAMILY_REUNIFICATION",
    "CHILD_PROTECTION",
    "ANTI_TRAFFICKING",
    "GBV_SUPPORT",
    "MEDICAL_CARE",
    "LABOUR_MOBILITY",
    "SKILLS_RECOGNITION",
    "SMUGGLING_RESPONSE",
    "CONSULAR_DOCUMENTATION",
    "STATELESSNESS_DETERMINATION",
    "DISASTER_DISPLACEMENT",
    "RETURN_REINTEGRATION",
    "BENEFITS_PORTABILITY",
    "DIASPORA_ENTREPRENEURSHIP",
    "INFORMATION_COUNSELLING",
]
"""The routing targets of PRODUCT.md §5."""

ReceivingActorKind = Literal[
    "asylum_authority",
    "unhcr",
    "iom",
    "family_tracing_service",
    "child_protection_authority",
    "anti_trafficking_unit",
    "gbv_service",
    "health_service",
    "labour_mobility_agency",
    "qualifications_authority",
    "migrant_protection_service",
    "consular_service",
    "statelessness_authority",
    "immigration_authority",
    "reintegration_service",
    "social_security_institution",
    "diaspora_programme",
    "information_desk",
]
"""The kind of agency a referral goes to; the agency directory maps a kind to real agencies."""

RoutedEventType = Literal["org.mixflow.arrival.v1", "org.mixflow.return.v1"]
"""The event types the router decides on (referral updates go to case management directly)."""

DecisionId = Annotated[str, StringConstraints(pattern=r"^d_[0-9a-f]{32}$")]
RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,79}$")]
Digest = Annotated[str, StringConstraints(pattern=r"^sha256:[0-9a-f]{64}$")]
SafeguardName = Literal[
    "asylum_access",
    "child_protection",
    "anti_trafficking",
    "urgent_medical_care",
    "no_consular_contact",
    "at_least_one_referral",
]
"""The safeguards of PRODUCT.md §5, by the names findings and decisions use."""


def decision_id_for(event_source: str, event_id: str) -> str:
    """The decision id of an event: the same event (source + id) always gets the same id.

    Deterministic so a redelivered event yields the same decision and downstream upserts
    stay idempotent.
    """
    digest = hashlib.sha256(f"{event_source}\x1f{event_id}".encode()).hexdigest()
    return f"d_{digest[:32]}"


class RulesetRef(Contract):
    """Which ruleset decided: its id, its integer version and the sha256 of its canonical JSON."""

    id: RuleId
    version: Annotated[int, Field(ge=1)]
    digest: Digest


class Referral(Contract):
    """One pathway a person is referred to, with the rule and the conditions behind it.

    `safeguard` is true when the ruleset missed the referral and a safeguard of PRODUCT.md §5
    added it (or raised its urgency); `rule_id` then names the safeguard (`safeguard:<name>`).
    """

    pathway: PathwayCode
    framework: Framework
    receiving_actor: ReceivingActorKind
    urgency: Urgency
    sla_hours: Annotated[int, Field(ge=1, le=8760)]
    rule_id: str
    matched: tuple[str, ...]
    safeguard: bool = False


class RemovedReferral(Contract):
    """A referral a rule asked for and a safeguard removed (e.g. consular contact for a refugee)."""

    pathway: PathwayCode
    rule_id: str
    safeguard: SafeguardName
    reason: str


class DecisionFacts(Contract):
    """The event's non-identifying facts that case management and flow monitoring need.

    `country`/`admin1` are where the event happened: the arrival location, or the country of
    return. Fields that one event type does not have are null.
    """

    country: CountryCode
    admin1: Admin1Code | None = None
    site_type: SiteType | None = None
    nationality: NationalityCode
    sex: Sex
    age_band: AgeBand
    legal_status: LegalStatus | None = None
    documents: DocumentStatus | None = None
    travel_mode: TravelMode | None = None
    origin_country: CountryCode | None = None
    movement_reasons: tuple[MovementReason, ...] = ()
    return_type: ReturnType | None = None
    host_country: CountryCode | None = None
    return_country: CountryCode | None = None
    months_abroad: Annotated[int, Field(ge=0, le=600)] | None = None
    asylum_intent: bool | None = None
    """Arrivals only: the person expressed an intention to seek asylum."""
    fear_of_return: bool | None = None
    reintegration_needs: tuple[ReintegrationNeed, ...] = ()
    """Returns only: the needs the returnee cited (categories, not case notes)."""


class DecisionV1(Contract):
    """The router's decision on one arrival or return event."""

    decision_id: DecisionId
    event_id: EventId
    """The routed event's CloudEvents `id`, as the envelope accepts it (so every record built from
    a decision, such as a case change, can carry it)."""
    event_source: Annotated[str, StringConstraints(min_length=1, max_length=400)]
    event_type: RoutedEventType
    event_time: datetime
    decided_at: datetime
    person_ref: PersonRef
    household_ref: HouseholdRef | None = None
    agency: AgencyCode
    ruleset: RulesetRef
    referrals: Annotated[tuple[Referral, ...], Field(min_length=1)]
    removed: tuple[RemovedReferral, ...] = ()
    facts: DecisionFacts
