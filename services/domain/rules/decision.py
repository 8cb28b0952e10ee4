"""The engine's answer for one event, and its conversion to the `DecisionV1` contract.

`route` is the hot path, so it returns this small immutable record holding references to what
it already has (the event, pre-built referrals); the decision id, the facts, the explanations
of `any` conditions and the validated contract are computed only when the decision leaves the
engine (`to_contract`), or written straight to JSON (`to_json`, the same bytes as
`to_contract().model_dump_json()` without building and validating the models).
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple, Protocol

import orjson

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

    def to_json(self) -> bytes:
        """`to_contract().model_dump_json()` as bytes, written directly.

        Everything in it is already valid: the event was validated when parsed and the
        referrals when the ruleset was compiled, so the models are not built again; the same
        keys in the same order and orjson's formatting give the same bytes (the tests compare
        both on thousands of generated events).
        """
        event, data = self.event, self.event.data
        facts = dict(_FACTS_DEFAULTS)
        facts.update(facts_fields(data, event.type))
        return orjson.dumps(
            {
                "decision_id": decision_id_for(event.source, event.id),
                "event_id": event.id,
                "event_source": event.source,
                "event_type": event.type,
                "event_time": event.time,
                "decided_at": self.decided_at,
                "person_ref": data.person_ref,
                "household_ref": data.household_ref,
                "agency": event.agency,
                "ruleset": _fragment(self.ruleset),
                "referrals": [
                    _fragment(referral) if explain is None else _explained(referral, explain(data))
                    for _, _, _, referral, explain in self.entries
                ],
                "removed": [_fragment(removed) for removed in self.removed],
                "facts": facts,
            },
            option=orjson.OPT_UTC_Z,
        )


_FRAGMENTS: dict[int, tuple[object, orjson.Fragment, dict[str, Any]]] = {}
"""Pre-serialised JSON (and the JSON-ready fields) of the records decisions share: referrals,
ruleset refs. By identity; the record is kept with them, so its identity is not reused while
it is cached."""
_FRAGMENT_LIMIT = 65_536


def _cached(
    model: RulesetRef | Referral | RemovedReferral,
) -> tuple[object, orjson.Fragment, dict[str, Any]]:
    cached = _FRAGMENTS.get(id(model))
    if cached is None or cached[0] is not model:
        if len(_FRAGMENTS) >= _FRAGMENT_LIMIT:
            _FRAGMENTS.clear()
        cached = (model, orjson.Fragment(model.model_dump_json()), model.model_dump(mode="json"))
        _FRAGMENTS[id(model)] = cached
    return cached


def _fragment(model: RulesetRef | Referral | RemovedReferral) -> orjson.Fragment:
    return _cached(model)[1]


def _explained(referral: Referral, matched: tuple[str, ...]) -> dict[str, Any]:
    """A referral citing the branches of its `any` that held: its fields, `matched` replaced."""
    fields = dict(_cached(referral)[2])
    fields["matched"] = matched
    return fields


_FACTS_DEFAULTS: dict[str, Any] = {
    name: None if info.is_required() else info.get_default()
    for name, info in DecisionFacts.model_fields.items()
}
"""Every facts field in contract order, at its default; `facts_fields` fills in the event's."""


def facts_of(data: Any, event_type: str) -> DecisionFacts:
    """The non-identifying facts of an event that travel with its decision."""
    return DecisionFacts(**facts_fields(data, event_type))


def facts_fields(data: Any, event_type: str) -> dict[str, Any]:
    """The values of the `DecisionFacts` fields an event has, by field name."""
    people = data.demographics
    common: dict[str, Any] = {
        "nationality": people.nationality,
        "sex": people.sex,
        "age_band": people.age_band,
    }
    if event_type == ARRIVAL_V1:
        return dict(
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
    return dict(
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
