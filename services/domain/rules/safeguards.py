"""The safeguards of PRODUCT.md §5, written once and used twice.

The linter proves a ruleset keeps them (by evaluating it on every abstract event, see
`abstract`); the engine enforces them again on every event, adding a referral the rules missed
(flagged `safeguard: true`) or removing a forbidden one (kept in the decision as a note).

"Never return-only counselling" for people with asylum intent or fear of return is kept by
requiring ASYLUM_PROCEDURE for them: a decision that holds it is never counselling alone.
"""

from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter

from schemas.codes import URGENCY_RANK, Urgency
from schemas.decisions import PathwayCode, Referral, SafeguardName
from schemas.rules import Condition
from services.domain.pathways import PATHWAYS
from services.domain.rules.conditions import predicate, render, tests_of
from services.domain.rules.fields import FIELDS

_CONDITION: TypeAdapter[Condition] = TypeAdapter(Condition)


@dataclass(frozen=True, slots=True)
class Safeguard:
    """A rule no ruleset may break: when `premise` holds, `pathway` is required (or forbidden).

    The premise is written in the rules language, so the engine indexes it like any rule and
    the linter knows which fields it reads. A field an event type lacks simply does not hold.
    """

    name: SafeguardName
    premise: Condition
    pathway: PathwayCode
    forbidden: bool
    promise: str
    referral: Referral

    def applies(self, data: Any, event_type: str) -> bool:
        return _PREDICATES[self.name, event_type](data)

    def fields(self, event_type: str) -> tuple[str, ...]:
        """The premise's fields that `event_type` has."""
        return tuple(
            sorted({t.field for t in tests_of(self.premise) if t.field in FIELDS[event_type]})
        )

    def kept_by(self, found: Referral | None) -> bool:
        """Does the referral to this safeguard's pathway (or its absence) keep the safeguard?"""
        if self.forbidden:
            return found is None
        return (
            found is not None and URGENCY_RANK[found.urgency] <= URGENCY_RANK[self.referral.urgency]
        )


def _referral(name: str, pathway: PathwayCode, urgency: Urgency, hours: int, why: str) -> Referral:
    entry = PATHWAYS[pathway]
    return Referral(
        pathway=pathway,
        framework=entry.framework,
        receiving_actor=entry.receiving_actor,
        urgency=urgency,
        sla_hours=hours,
        rule_id=f"safeguard:{name}",
        matched=(why,),
        safeguard=True,
    )


def _safeguard(
    name: SafeguardName,
    premise: object,
    pathway: PathwayCode,
    promise: str,
    *,
    forbidden: bool = False,
    urgency: Urgency = "high",
    hours: int = 72,
) -> Safeguard:
    condition = _CONDITION.validate_python(premise)
    why = "never sent" if forbidden else render(condition)
    return Safeguard(
        name, condition, pathway, forbidden, promise, _referral(name, pathway, urgency, hours, why)
    )


ASYLUM_SIGNAL = {"any": [{"protection.asylum_intent": True}, {"protection.fear_of_return": True}]}
CHILD_BANDS = {"demographics.age_band": {"le": "12-17"}}

SAFEGUARDS: tuple[Safeguard, ...] = (
    _safeguard(
        "no_consular_contact",
        {
            "any": [
                {"legal_status": ["recognised_refugee", "asylum_seeker", "stateless"]},
                {"demographics.nationality": "XXA"},
                *ASYLUM_SIGNAL["any"],
            ]
        },
        "CONSULAR_DOCUMENTATION",
        "refugees, asylum seekers, stateless people and anyone with asylum intent or fear of "
        "return are never referred to CONSULAR_DOCUMENTATION",
        forbidden=True,
    ),
    _safeguard(
        "asylum_access",
        ASYLUM_SIGNAL,
        "ASYLUM_PROCEDURE",
        "asylum intent or fear of return always yields ASYLUM_PROCEDURE",
    ),
    _safeguard(
        "child_protection",
        [
            CHILD_BANDS,
            {
                "any": [
                    {"protection.unaccompanied_child": True},
                    {"protection.separated_child": True},
                ]
            },
        ],
        "CHILD_PROTECTION",
        "a child (0-17) unaccompanied or separated always yields CHILD_PROTECTION",
        urgency="immediate",
        hours=24,
    ),
    _safeguard(
        "anti_trafficking",
        {
            "any": [
                {"protection.trafficking_indicators": {"exists": True}},
                {"protection.trafficking_victim": True},
            ]
        },
        "ANTI_TRAFFICKING",
        "any trafficking signal yields ANTI_TRAFFICKING",
        urgency="immediate",
        hours=24,
    ),
    _safeguard(
        "urgent_medical_care",
        {"protection.medical_need": "urgent"},
        "MEDICAL_CARE",
        "urgent medical need yields MEDICAL_CARE with urgency immediate",
        urgency="immediate",
        hours=4,
    ),
)
"""The forbidding safeguard comes first so a removal can never undo a required referral."""

_PREDICATES = {(s.name, t): predicate(s.premise, t) for s in SAFEGUARDS for t in FIELDS}

AT_LEAST_ONE = _referral(
    "at_least_one_referral", "INFORMATION_COUNSELLING", "normal", 168, "no rule referred this event"
)
"""What an event no rule referred gets: information and counselling, for further assessment."""
