"""A small known stream of arrivals, returns and outcomes, with the counts it must give."""

from datetime import datetime, timedelta

from services.domain.flows.keys import OutcomeObserved, PersonObserved, ReferralMade

DAY = datetime.fromisoformat("2025-03-04T00:00:00+00:00")
ASYLUM = ReferralMade("ASYLUM_PROCEDURE", "GCR", "high")
CHILD = ReferralMade("CHILD_PROTECTION", "BOTH", "immediate")
COUNSEL = ReferralMade("INFORMATION_COUNSELLING", "BOTH", "normal")
LABOUR = ReferralMade("LABOUR_MOBILITY", "GCM", "normal")
REINTEGRATE = ReferralMade("RETURN_REINTEGRATION", "GCM", "normal")


def arrival(minute: int, **overrides: object) -> PersonObserved:
    fields: dict[str, object] = {
        "kind": "arrival",
        "event_time": DAY + timedelta(hours=9, minutes=minute),
        "country": "ITA",
        "admin1": "IT-82",
        "site_type": "sea_arrival",
        "nationality": "SYR",
        "sex": "male",
        "age_band": "25-59",
        "legal_status": "asylum_seeker",
        "protection_signal": True,
        "movement_reasons": ("conflict",),
        "referrals": (ASYLUM,),
    }
    fields.update(overrides)
    return PersonObserved(**fields)  # type: ignore[arg-type]


def returned(minute: int, **overrides: object) -> PersonObserved:
    fields: dict[str, object] = {
        "kind": "return",
        "event_time": DAY + timedelta(hours=14, minutes=minute),
        "country": "SEN",
        "nationality": "SEN",
        "sex": "female",
        "age_band": "25-59",
        "return_type": "assisted_voluntary",
        "host_country": "ITA",
        "reintegration_needs": ("economic",),
        "referrals": (REINTEGRATE,),
    }
    fields.update(overrides)
    return PersonObserved(**fields)  # type: ignore[arg-type]


def outcome(minute: int, **overrides: object) -> OutcomeObserved:
    fields: dict[str, object] = {
        "event_time": DAY + timedelta(hours=20, minutes=minute),
        "country": "ITA",
        "sex": "male",
        "age_band": "12-17",
        "pathway": "CHILD_PROTECTION",
        "framework": "BOTH",
        "urgency": "immediate",
        "outcome": "accepted",
        "sla_met": True,
    }
    fields.update(overrides)
    return OutcomeObserved(**fields)  # type: ignore[arg-type]


def known_stream() -> list[PersonObserved | OutcomeObserved]:
    """40 arrivals, 12 returns and 14 child-protection outcomes on 2025-03-04.

    Arrivals: 20 Syrian men seeking asylum (conflict), 10 Sudanese boys alone (conflict and
    persecution; asylum + child protection), 10 Tunisian women with economic reasons (labour).
    Returns: 12 Senegalese women (8 assisted, 4 forced), all citing economic needs, 6 also housing.
    Outcomes: 10 child-protection acceptances in time, 1 late, 3 overdue.
    """
    stream: list[PersonObserved | OutcomeObserved] = [arrival(m) for m in range(20)]
    stream += [
        arrival(
            20 + m,
            nationality="SDN",
            age_band="12-17",
            movement_reasons=("persecution", "conflict"),
            referrals=(ASYLUM, CHILD),
        )
        for m in range(10)
    ]
    stream += [
        arrival(
            30 + m,
            nationality="TUN",
            sex="female",
            age_band="18-24",
            legal_status="irregular_migrant",
            protection_signal=False,
            movement_reasons=("economic",),
            referrals=(LABOUR, COUNSEL),
        )
        for m in range(10)
    ]
    stream += [
        returned(m, reintegration_needs=("economic", "housing") if m < 6 else ("economic",))
        for m in range(8)
    ]
    stream += [returned(8 + m, return_type="forced") for m in range(4)]
    stream += [outcome(m) for m in range(10)]
    stream += [outcome(10, sla_met=False)]
    stream += [outcome(11 + m, outcome="overdue", sla_met=None) for m in range(3)]
    return stream
