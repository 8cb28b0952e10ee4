"""The engine's answer for one event, and its conversion to the `DecisionV1` contract.

`route` is the hot path, so it returns this small immutable record holding references to what
it already has (the event, pre-built referrals); the decision id, the facts, the explanations
of `any` conditions and the validated contract are computed only when the decision leaves the
engine (`to_contract`).
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from schemas.decisions import (
    DecisionFacts,
    DecisionV1,
    Referral,
    RemovedReferral,
    RulesetRef,
    decision_id_for,
)
from schemas.events.arrival import ARRIVAL_V1

Entry = tuple[int, str, int, Referral, Callable[[Any], tuple[str, ...]] | None]
"""(urgency rank, pathway, SLA hours, referral, explainer): sorts by urgency, then pathway.

The explainer is set when the referral's matched lines depend on the event (a rule with `any`);
the referral then carries the whole condition until `referrals` asks which branches held.
"""


class RoutableEvent(Protocol):
    """What the engine needs from a parsed CloudEvent (the envelope classes satisfy it)."""

    @property
    def id(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def time(self) -> datetime: ...
    @property
    def agency(self) -> str: ...
    @property
    def data(self) -> Any: ...


class Decision(NamedTuple):
    """Referrals for one event, ordered by urgency then pathway, and any removed by safeguards.

    A named tuple because it is built once per event on the hot path and a tuple is the
    cheapest immutable record Python builds.
    """

    event: RoutableEvent
    decided_at: datetime
    ruleset: RulesetRef
    entries: tuple[Entry, ...]
    removed: tuple[RemovedReferral, ...] = ()

    @property
    def pathways(self) -> tuple[str, ...]:
        return tuple(entry[1] for entry in self.entries)

    @property
    def referrals(self) -> tuple[Referral, ...]:
        """The referrals, each citing exactly the conditions that held for this event."""
        data = self.event.data
        return tuple(
            referral if explain is None else referral.model_copy(update={"matched": explain(data)})
            for _, _, _, referral, explain in self.entries
        )

    def to_contract(self) -> DecisionV1:
        """The validated `DecisionV1` for this decision."""
        event, data = self.event, self.event.data
        return DecisionV1(
            decision_id=decision_id_for(event.source, event.id),
            event_id=event.id,
            event_source=event.source,
            event_type=event.type,  # type: ignore[arg-type]  # the engine routes only these two
            event_time=event.time,
            decided_at=self.decided_at,
            person_ref=data.person_ref,
            household_ref=data.household_ref,
            agency=event.agency,
            ruleset=self.ruleset,
            referrals=self.referrals,
            removed=self.removed,
            facts=facts_of(data, event.type),
        )


def facts_of(data: Any, event_type: str) -> DecisionFacts:
    """The non-identifying facts of an event that travel with its decision."""
    people = data.demographics
    common: dict[str, Any] = {
        "nationality": people.nationality,
        "sex": people.sex,
        "age_band": people.age_band,
    }
    if event_type == ARRIVAL_V1:
        return DecisionFacts(
            country=data.location.country,
            admin1=data.location.admin1,
            site_type=data.location.site_type,
            legal_status=data.legal_status,
            documents=data.documents,
            travel_mode=data.journey.mode,
            origin_country=data.journey.origin_country,
            movement_reasons=tuple(data.movement_reasons),
            asylum_intent=data.protection.asylum_intent,
            fear_of_return=data.protection.fear_of_return,
            **common,
        )
    return DecisionFacts(
        country=data.return_country,
        admin1=data.return_admin1,
        return_type=data.return_type,
        host_country=data.host_country,
        return_country=data.return_country,
        months_abroad=data.months_abroad,
        fear_of_return=data.protection.fear_of_return,
        reintegration_needs=tuple(data.reintegration_needs),
        **common,
    )
