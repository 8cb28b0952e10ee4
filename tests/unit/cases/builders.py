"""Builders of decisions and referral updates for case-management tests, valid by construction."""

import hashlib
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from schemas.codes import Urgency
from schemas.decisions import (
    DecisionFacts,
    DecisionV1,
    PathwayCode,
    Referral,
    RulesetRef,
    decision_id_for,
)
from schemas.events.referral_update import ReferralUpdateData
from services.domain.directory import Directory, parse_directory
from services.domain.pathways import PATHWAYS

T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
SOURCE = "urn:mixflow:agency:ITA-MOI"
DIRECTORY_FILE = Path(__file__).resolve().parents[3] / "routing_rules" / "directory.yaml"


def token(prefix: str, seed: object) -> str:
    return f"{prefix}_{hashlib.sha256(str(seed).encode()).hexdigest()[:32]}"


def person(n: int) -> str:
    return token("p", f"person-{n}")


def household(n: int) -> str:
    return token("h", f"household-{n}")


@cache
def shipped_directory() -> Directory:
    return parse_directory(DIRECTORY_FILE.read_text(), str(DIRECTORY_FILE))


def decision(
    event_id: str,
    person_ref: str,
    *,
    pathways: tuple[PathwayCode, ...] = ("ASYLUM_PROCEDURE", "INFORMATION_COUNSELLING"),
    returning: bool = False,
    household_ref: str | None = None,
    country: str = "ITA",
    admin1: str | None = None,
    decided_at: datetime = T0,
    urgency: Urgency = "normal",
    sla_hours: int = 72,
) -> DecisionV1:
    """A decision on one arrival (or return) event, one referral per pathway."""
    return DecisionV1(
        decision_id=decision_id_for(SOURCE, event_id),
        event_id=event_id,
        event_source=SOURCE,
        event_type="org.mixflow.return.v1" if returning else "org.mixflow.arrival.v1",
        event_time=decided_at - timedelta(minutes=5),
        decided_at=decided_at,
        person_ref=person_ref,
        household_ref=household_ref,
        agency="ITA-MOI",
        ruleset=RulesetRef(id="default", version=3, digest="sha256:" + "ab" * 32),
        referrals=tuple(
            Referral(
                pathway=p,
                framework=PATHWAYS[p].framework,
                receiving_actor=PATHWAYS[p].receiving_actor,
                urgency=urgency,
                sla_hours=sla_hours,
                rule_id=f"{p.lower()}.rule",
                matched=("protection.asylum_intent == true",),
            )
            for p in pathways
        ),
        facts=DecisionFacts(
            country=country, admin1=admin1, nationality="NGA", sex="female", age_band="18-24"
        ),
    )


def update(
    referral_id: str, status: str, agency: str, reason: str | None = None
) -> ReferralUpdateData:
    return ReferralUpdateData.model_validate(
        {"referral_id": referral_id, "status": status, "reason_code": reason, "by_agency": agency}
    )
