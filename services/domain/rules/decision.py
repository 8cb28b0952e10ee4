"""The engine's answer for one event, and its conversion to the `DecisionV1` contract.

`route` is the hot path, so it returns this small immutable record holding references to what
it already has (the event, the referrals remembered, already explained, for the event's
signature); the decision id, the facts and the validated contract are computed only when the
decision leaves the engine (`to_contract`), or written straight to JSON (`to_json`, the same
bytes as `to_contract().model_dump_json()` without building and validating the models; the
referrals' JSON is written once per remembered outcome).
"""

from collections.abc import Callable, Sequence
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
from services.domain.rules.explain import Lines

Entry = tuple[int, str, int, Referral, Lines | None]
"""(urgency rank, pathway, SLA hours, referral, explanation): sorts by urgency, then pathway.

A rule's entry has an explanation when the referral's matched lines depend on which `any`
branches held (see `explain.branch_lines`); the engine resolves it per signature, so the
entries of a decision never have one and their referrals cite exactly what held.
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
        return tuple(entry[3] for entry in self.entries)

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
                "referrals": _array(self.entries, _referral_json),
                "removed": _array(self.removed, _model_json),
                "facts": facts_fields(data, event.type),
            },
            option=orjson.OPT_UTC_Z,
        )


_FRAGMENTS: dict[int, tuple[object, orjson.Fragment]] = {}
"""Pre-serialised JSON of what decisions share: the ruleset ref, and the tuples of explained
entries and removed referrals the engine remembers per signature. By identity; the object is
kept with its JSON, so its identity is not reused while it is cached."""
_FRAGMENT_LIMIT = 16_384


def _fragment(model: RulesetRef) -> orjson.Fragment:
    return _cached(model) or _remember(model, model.model_dump_json().encode())


def _array(items: Sequence[Any], json_of: Callable[[Any], bytes]) -> orjson.Fragment:
    """A JSON array of the items, each written by `json_of`."""
    return _cached(items) or _remember(
        items, b"[" + b",".join(json_of(item) for item in items) + b"]"
    )


def _cached(item: object) -> orjson.Fragment | None:
    cached = _FRAGMENTS.get(id(item))
    return cached[1] if cached is not None and cached[0] is item else None


def _remember(item: object, json: bytes) -> orjson.Fragment:
    if len(_FRAGMENTS) >= _FRAGMENT_LIMIT:
        _FRAGMENTS.clear()
    fragment = orjson.Fragment(json)
    _FRAGMENTS[id(item)] = (item, fragment)
    return fragment


def _referral_json(entry: Entry) -> bytes:
    return entry[3].model_dump_json().encode()


def _model_json(model: RemovedReferral) -> bytes:
    return model.model_dump_json().encode()


def facts_of(data: Any, event_type: str) -> DecisionFacts:
    """The non-identifying facts of an event that travel with its decision."""
    return DecisionFacts(**facts_fields(data, event_type))


def facts_fields(data: Any, event_type: str) -> dict[str, Any]:
    """Every `DecisionFacts` field in contract order, with the event's values (one dict per
    event, written out: this runs for every decision)."""
    people = data.demographics
    if event_type == ARRIVAL_V1:
        location, journey = data.location, data.journey
        return {
            "country": location.country,
            "admin1": location.admin1,
            "site_type": location.site_type,
            "nationality": people.nationality,
            "sex": people.sex,
            "age_band": people.age_band,
            "legal_status": data.legal_status,
            "documents": data.documents,
            "travel_mode": journey.mode,
            "origin_country": journey.origin_country,
            "movement_reasons": tuple(data.movement_reasons),
            "return_type": None,
            "host_country": None,
            "return_country": None,
            "months_abroad": None,
            "asylum_intent": data.protection.asylum_intent,
            "fear_of_return": data.protection.fear_of_return,
            "reintegration_needs": (),
        }
    return {
        "country": data.return_country,
        "admin1": data.return_admin1,
        "site_type": None,
        "nationality": people.nationality,
        "sex": people.sex,
        "age_band": people.age_band,
        "legal_status": None,
        "documents": None,
        "travel_mode": None,
        "origin_country": None,
        "movement_reasons": (),
        "return_type": data.return_type,
        "host_country": data.host_country,
        "return_country": data.return_country,
        "months_abroad": data.months_abroad,
        "asylum_intent": None,
        "fear_of_return": data.protection.fear_of_return,
        "reintegration_needs": tuple(data.reintegration_needs),
    }
