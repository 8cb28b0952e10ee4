"""A generated stream of decisions and case changes whose counts are known by construction."""

import hashlib
from datetime import UTC, datetime, timedelta

import orjson

from schemas.cases import CaseChangeV1
from schemas.decisions import DecisionV1

HOUR = datetime(2026, 3, 4, 10, tzinfo=UTC)
"""The main hour window, 10:00-11:00 UTC on 2026-03-04."""
RULESET = {"id": "default", "version": 1, "digest": "sha256:" + "0" * 64}
PATHWAY = {
    "ASYLUM_PROCEDURE": ("GCR", "asylum_authority", "high", 72),
    "LABOUR_MOBILITY": ("GCM", "labour_mobility_agency", "normal", 336),
    "CHILD_PROTECTION": ("BOTH", "child_protection_authority", "immediate", 24),
    "RETURN_REINTEGRATION": ("GCM", "reintegration_service", "normal", 336),
}


def _hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def person(name: str) -> str:
    return f"p_{_hex(name)}"


def decision(
    name: str, at: datetime, pathways: tuple[str, ...], *, kind: str = "arrival", **facts: object
) -> DecisionV1:
    """A decision for person `name` (its id derives from name and time, so a resend is equal)."""
    base: dict[str, object] = {
        "country": "ITA",
        "admin1": "IT-82",
        "site_type": "sea_arrival",
        "nationality": "SYR",
        "sex": "male",
        "age_band": "25-59",
        "legal_status": "asylum_seeker",
        "movement_reasons": ["conflict"],
        "asylum_intent": True,
        "fear_of_return": False,
    }
    if kind == "return":
        base = {
            "country": "SEN",
            "nationality": "SEN",
            "sex": "female",
            "age_band": "25-59",
            "return_type": "assisted_voluntary",
            "host_country": "ITA",
            "return_country": "SEN",
            "fear_of_return": False,
            "reintegration_needs": ["economic"],
        }
    base.update(facts)
    referrals = [
        {
            "pathway": p,
            "framework": PATHWAY[p][0],
            "receiving_actor": PATHWAY[p][1],
            "urgency": PATHWAY[p][2],
            "sla_hours": PATHWAY[p][3],
            "rule_id": "r1",
            "matched": [],
        }
        for p in pathways
    ]
    event_id = f"{name}.{at.strftime('%Y%m%dT%H%M%S%f')}"  # an envelope event id
    return DecisionV1.model_validate_json(
        orjson.dumps(
            {
                "decision_id": f"d_{_hex(event_id)}",
                "event_id": event_id,
                "event_source": "urn:mixflow:agency:ITA-MOI",
                "event_type": f"org.mixflow.{kind}.v1",
                "event_time": at.isoformat(),
                "decided_at": at.isoformat(),
                "person_ref": person(name),
                "agency": "ITA-MOI",
                "ruleset": RULESET,
                "referrals": referrals,
                "facts": base,
            }
        )
    )


def accepted(name: str, seq: int, at: datetime, due: datetime, pathway: str) -> CaseChangeV1:
    return CaseChangeV1(
        case_id=f"c_{_hex(name)}",
        sequence=seq,
        kind="referral_status_changed",
        at=at,
        person_ref=person(name),
        referral_id=f"r_{_hex(name + pathway)}",
        pathway=pathway,
        urgency=PATHWAY[pathway][2],
        status="accepted",
        previous_status="pending",
        due_at=due,
    )


def overdue(name: str, seq: int, at: datetime, pathway: str) -> CaseChangeV1:
    return CaseChangeV1(
        case_id=f"c_{_hex(name)}",
        sequence=seq,
        kind="referral_overdue",
        at=at,
        person_ref=person(name),
        referral_id=f"r_{_hex(name + pathway)}",
        pathway=pathway,
        urgency=PATHWAY[pathway][2],
        status="pending",
        due_at=at,
    )


def main_stream() -> list[DecisionV1]:
    """30 decisions in 10:00-11:00 with known counts per dimension.

    - 12 Syrian men, asylum seekers, referred to ASYLUM_PROCEDURE (GCR, high)
    - 8 Tunisian women, economic reasons, LABOUR_MOBILITY (GCM, normal)
    - 6 Sudanese boys 12-17, ASYLUM_PROCEDURE and CHILD_PROTECTION
    - 4 Senegalese women returning, RETURN_REINTEGRATION
    """
    out = [
        decision(f"syr{i}", HOUR + timedelta(minutes=i), ("ASYLUM_PROCEDURE",)) for i in range(12)
    ]
    out += [
        decision(
            f"tun{i}",
            HOUR + timedelta(minutes=20 + i),
            ("LABOUR_MOBILITY",),
            nationality="TUN",
            sex="female",
            legal_status="irregular_migrant",
            movement_reasons=["economic"],
            asylum_intent=False,
        )
        for i in range(8)
    ]
    out += [
        decision(
            f"sdn{i}",
            HOUR + timedelta(minutes=30 + i),
            ("ASYLUM_PROCEDURE", "CHILD_PROTECTION"),
            nationality="SDN",
            age_band="12-17",
        )
        for i in range(6)
    ]
    out += [
        decision(
            f"sen{i}", HOUR + timedelta(minutes=40 + i), ("RETURN_REINTEGRATION",), kind="return"
        )
        for i in range(4)
    ]
    return out


def outcomes() -> list[CaseChangeV1]:
    """For the 6 boys: 5 child-protection acceptances within the SLA and 1 overdue."""
    at, due = HOUR + timedelta(hours=2), HOUR + timedelta(hours=24)
    out = [accepted(f"sdn{i}", 5, at, due, "CHILD_PROTECTION") for i in range(5)]
    out.append(overdue("sdn5", 5, HOUR + timedelta(hours=24), "CHILD_PROTECTION"))
    return out
