"""The Kafka topics of PRODUCT.md §6: name, key, cleanup policy and the contracts they carry.

One `Topic` per topic in `TOPICS`; the AsyncAPI document is generated from it and topic
creation reads it, so a topic is described once. Per-person topics are keyed by `person_ref`
so that one worker sees all of a person's events in order.
"""

from dataclasses import dataclass

from pydantic import BaseModel

from schemas.alerts import SlaBreachAlertV1
from schemas.cases import CaseChangeV1
from schemas.deadletters import DeadLetterV1
from schemas.decisions import DecisionV1
from schemas.envelope import ArrivalEvent, ReferralUpdateEvent, ReturnEvent
from schemas.flows import FlowAggregateV1
from schemas.rules import Ruleset

EVENTS_INBOUND = "mixflow.events.inbound"
EVENTS_VALID = "mixflow.events.valid"
EVENTS_DEADLETTER = "mixflow.events.deadletter"
DECISIONS = "mixflow.decisions"
RULES = "mixflow.rules"
CASES_CHANGES = "mixflow.cases.changes"
FLOWS_AGGREGATES = "mixflow.flows.aggregates"
REFERRAL_UPDATES = "mixflow.referral-updates"
ALERTS = "mixflow.alerts"
ROUTER_DEDUP = "mixflow.router.dedup"
"""The router's de-duplication memory (internal, compact+delete); the router creates it."""


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic: its key (which field of the message), whether it is compacted, what it carries.

    `cloudevents`: messages are CloudEvents in structured mode; `binary_mode`: agencies may
    also publish them in binary mode (`ce_*` headers, `data` as the value). Other topics carry
    the contract's JSON as the value.
    """

    name: str
    key: str
    key_description: str
    compacted: bool
    messages: tuple[type[BaseModel], ...]
    description: str
    cloudevents: bool = False
    binary_mode: bool = False


PERSON_KEY = "person_ref of the event (the CloudEvents `subject`)"

TOPICS: tuple[Topic, ...] = (
    Topic(
        EVENTS_INBOUND,
        "person_ref",
        PERSON_KEY,
        False,
        (ArrivalEvent, ReturnEvent),
        "Arrival and return events as agencies publish them (Kafka or the HTTP ingest API).",
        cloudevents=True,
        binary_mode=True,
    ),
    Topic(
        EVENTS_VALID,
        "person_ref",
        PERSON_KEY,
        False,
        (ArrivalEvent, ReturnEvent),
        "Inbound events that met the contract and passed the identifier guard, structured mode.",
        cloudevents=True,
    ),
    Topic(
        EVENTS_DEADLETTER,
        "agency",
        "agency code of the publisher when known, else empty",
        False,
        (DeadLetterV1,),
        "Refused inbound messages: where they came from and why, without their content.",
    ),
    Topic(
        DECISIONS,
        "person_ref",
        "person_ref of the decided event",
        False,
        (DecisionV1,),
        "The router's decision for each arrival and return: referrals, rules and ruleset.",
    ),
    Topic(
        RULES,
        "ruleset_id",
        "id of the ruleset; the latest record per id is the published version",
        True,
        (Ruleset,),
        "Published routing rulesets; compacted, so the latest version per id is kept.",
    ),
    Topic(
        CASES_CHANGES,
        "person_ref",
        "person_ref of the case",
        False,
        (CaseChangeV1,),
        "Every change to a case and its referrals, in order per case.",
    ),
    Topic(
        FLOWS_AGGREGATES,
        "cell",
        "granularity, window start, measure and sorted dimensions of the cell, `|`-joined",
        True,
        (FlowAggregateV1,),
        "Windowed flow counts with small cells suppressed; compacted, the latest count per cell.",
    ),
    Topic(
        REFERRAL_UPDATES,
        "referral_id",
        "referral_id the update is about",
        False,
        (ReferralUpdateEvent,),
        "Status updates of referrals from receiving agencies.",
        cloudevents=True,
        binary_mode=True,
    ),
    Topic(
        ALERTS,
        "referral_id",
        "referral_id of the overdue referral",
        False,
        (SlaBreachAlertV1,),
        "SLA breaches of referrals that were not taken up in time.",
    ),
)
TOPIC_BY_NAME: dict[str, Topic] = {topic.name: topic for topic in TOPICS}
