"""From the router's decision contract to the cube's plain observation: the only schema edge.

Boundary: reads `DecisionV1` fields, returns `PersonObserved`; counts nothing. Facts the decision
contract does not (yet) carry, such as asylum intent, fear of return and reintegration needs, are
read when present and default to "not signalled" / "none cited" otherwise.
"""

from schemas.decisions import DecisionFacts, DecisionV1
from services.domain.flows.keys import PersonObserved, ReferralMade


def _protection_signal(facts: DecisionFacts) -> bool:
    # Optional facts: a newer contract version may add them; an older one simply lacks them.
    return bool(getattr(facts, "asylum_intent", False) or getattr(facts, "fear_of_return", False))


def _needs(facts: DecisionFacts) -> tuple[str, ...]:
    return tuple(str(need) for need in getattr(facts, "reintegration_needs", ()) or ())


def observe_decision(decision: DecisionV1) -> PersonObserved:
    """The non-identifying facts and referrals of one decision, as the cube counts them."""
    facts = decision.facts
    is_return = decision.event_type == "org.mixflow.return.v1"
    return PersonObserved(
        kind="return" if is_return else "arrival",
        event_time=decision.event_time,
        country=facts.country,
        admin1=facts.admin1,
        site_type=facts.site_type,
        nationality=facts.nationality,
        sex=facts.sex,
        age_band=facts.age_band,
        legal_status=facts.legal_status,
        protection_signal=_protection_signal(facts),
        movement_reasons=tuple(facts.movement_reasons),
        return_type=facts.return_type,
        host_country=facts.host_country,
        reintegration_needs=_needs(facts),
        referrals=tuple(
            ReferralMade(pathway=r.pathway, framework=r.framework, urgency=r.urgency)
            for r in decision.referrals
        ),
    )
