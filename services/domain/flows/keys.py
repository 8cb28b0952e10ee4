"""What the flow cube counts: the plain observations it folds and the cells each one touches.

Four measures, each with its own unit and its own finest dimensions:

- `arrivals`: people arriving. One cell per arrival. Movement reasons are multi-valued, so the
  cell holds the *set* of reasons as one coordinate; summing arrivals never double-counts people,
  and grouping by reason (at query time) counts each person once per reason cited.
- `returns`: people returning. One cell per return; reintegration needs are a set, as above.
- `referrals`: referrals, i.e. (person, pathway) pairs. One cell per distinct pathway of the
  decision, so a cell counts the people referred to that pathway; the sum over pathways counts
  referrals, not people.
- `outcomes`: referral outcomes from case changes (accepted, declined, completed, closed,
  overdue), one cell per change, with whether the SLA was met.

Boundaries: plain values in, plain tuples out; no schema parsing (see `decisions.py`), no clock.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from schemas.codes import AgeBand, Framework, LegalStatus, Sex, SiteType, Urgency

Measure = Literal["arrivals", "returns", "referrals", "outcomes"]
Outcome = Literal["accepted", "declined", "completed", "closed", "overdue"]
SlaState = Literal["met", "missed", "n/a"]
EventKind = Literal["arrival", "return"]

DimValue = str | None | tuple[str, ...]
"""A coordinate: a code, None when the event did not say, or a sorted set for multi-valued dims."""
Coords = tuple[DimValue, ...]

DIMENSIONS: dict[Measure, tuple[str, ...]] = {
    "arrivals": (
        "country",
        "admin1",
        "site_type",
        "nationality",
        "sex",
        "age_band",
        "legal_status",
        "protection_signal",
        "movement_reasons",
    ),
    "returns": (
        "country",
        "admin1",
        "nationality",
        "sex",
        "age_band",
        "return_type",
        "host_country",
        "protection_signal",
        "reintegration_needs",
    ),
    "referrals": (
        "event_kind",
        "country",
        "admin1",
        "site_type",
        "nationality",
        "sex",
        "age_band",
        "protection_signal",
        "pathway",
        "framework",
        "urgency",
    ),
    "outcomes": ("country", "sex", "age_band", "pathway", "framework", "urgency", "outcome", "sla"),
}
"""The finest dimensions of each measure, in coordinate order."""

MULTI_VALUED: frozenset[str] = frozenset({"movement_reasons", "reintegration_needs"})


@dataclass(frozen=True, slots=True)
class ReferralMade:
    """One referral of a decision, reduced to what monitoring groups by."""

    pathway: str
    framework: Framework
    urgency: Urgency


@dataclass(frozen=True, slots=True)
class PersonObserved:
    """An arrival or a return with its referrals: the non-identifying facts the cube counts.

    `country`/`admin1` are where it happened (arrival location, or country of return).
    `protection_signal` is asylum intent or fear of return.
    """

    kind: EventKind
    event_time: datetime
    country: str
    nationality: str
    sex: Sex
    age_band: AgeBand
    referrals: tuple[ReferralMade, ...]
    admin1: str | None = None
    site_type: SiteType | None = None
    legal_status: LegalStatus | None = None
    protection_signal: bool = False
    movement_reasons: tuple[str, ...] = ()
    return_type: str | None = None
    host_country: str | None = None
    reintegration_needs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OutcomeObserved:
    """A referral reached an outcome (or its SLA ran out: `overdue`) at `event_time`.

    `sla_met` is True when an acceptance came within the SLA, False when it came after it, and
    None for outcomes the SLA does not judge.
    """

    event_time: datetime
    country: str
    sex: Sex
    age_band: AgeBand
    pathway: str
    framework: Framework
    urgency: Urgency
    outcome: Outcome
    sla_met: bool | None = None


Observation = PersonObserved | OutcomeObserved


def _flag(value: bool) -> str:
    return "yes" if value else "no"


def _as_set(values: tuple[str, ...]) -> tuple[str, ...]:
    # Sorted and de-duplicated so that the same set always lands in the same cell.
    return tuple(sorted(set(values)))


def sla_state(outcome: Outcome, sla_met: bool | None) -> SlaState:
    """How an outcome settles its referral's SLA clock.

    Each referral settles at most once: accepted in time (`met`) or the deadline passed (`missed`,
    the `overdue` change). A late acceptance was already counted as missed, so it is `n/a`.
    """
    if outcome == "overdue":
        return "missed"
    if outcome == "accepted" and sla_met:
        return "met"
    return "n/a"


def person_cells(obs: PersonObserved) -> list[tuple[Measure, Coords]]:
    """The finest cells an arrival or return touches: one for the person, one per pathway."""
    signal = _flag(obs.protection_signal)
    person: tuple[Measure, Coords]
    if obs.kind == "arrival":
        person = (
            "arrivals",
            (
                obs.country,
                obs.admin1,
                obs.site_type,
                obs.nationality,
                obs.sex,
                obs.age_band,
                obs.legal_status,
                signal,
                _as_set(obs.movement_reasons),
            ),
        )
    else:
        person = (
            "returns",
            (
                obs.country,
                obs.admin1,
                obs.nationality,
                obs.sex,
                obs.age_band,
                obs.return_type,
                obs.host_country,
                signal,
                _as_set(obs.reintegration_needs),
            ),
        )
    cells: list[tuple[Measure, Coords]] = [person]
    seen: set[str] = set()
    for referral in obs.referrals:
        # A person is referred to a pathway once; a repeated pathway would count them twice.
        if referral.pathway in seen:
            continue
        seen.add(referral.pathway)
        cells.append(
            (
                "referrals",
                (
                    obs.kind,
                    obs.country,
                    obs.admin1,
                    obs.site_type,
                    obs.nationality,
                    obs.sex,
                    obs.age_band,
                    signal,
                    referral.pathway,
                    referral.framework,
                    referral.urgency,
                ),
            )
        )
    return cells


def outcome_cell(obs: OutcomeObserved) -> tuple[Measure, Coords]:
    """The one cell a referral outcome touches."""
    return (
        "outcomes",
        (
            obs.country,
            obs.sex,
            obs.age_band,
            obs.pathway,
            obs.framework,
            obs.urgency,
            obs.outcome,
            sla_state(obs.outcome, obs.sla_met),
        ),
    )


def cells_of(obs: Observation) -> list[tuple[Measure, Coords]]:
    """The finest cells one observation touches (per window and granularity)."""
    if isinstance(obs, PersonObserved):
        return person_cells(obs)
    return [outcome_cell(obs)]
