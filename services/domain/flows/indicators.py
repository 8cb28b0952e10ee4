"""Monitoring indicators for one period, computed from the cube's cells and always suppressed.

Rule for every figure: it is derived from a base table (counts with their total) that is first
suppressed as a 1-D table (`suppress_line`); a figure is published only when every base count it
uses is visible, otherwise it is None. So no figure discloses more than its base table would,
and a share near 0 % or 100 % over a small complement is hidden with that complement.
Definitions, units and SDG links are in docs/indicators.md.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import get_args

from schemas.codes import CHILD_AGE_BANDS, ReintegrationNeed, ReturnType
from schemas.codes import MovementReason as MovementReasonCode
from services.domain.flows.commitments import (
    COMMITMENTS,
    GCM_OBJECTIVES,
    GCR_AREAS,
    gcm_pathways,
    gcr_pathways,
)
from services.domain.flows.cube import CellKey
from services.domain.flows.keys import Measure
from services.domain.flows.rollup import Filter, narrow, rollup, total
from services.domain.flows.suppression import suppress_line
from services.domain.flows.windows import Granularity

SDG_10_7_2 = "10.7.2 (evidence)"
SDG_10_7_4 = "10.7.4 (context)"


@dataclass(frozen=True, slots=True)
class Period:
    """Windows starting in [start, end) at one granularity."""

    start: datetime
    end: datetime
    granularity: Granularity = "day"


@dataclass(frozen=True, slots=True)
class Count:
    """A published count; None when suppressed."""

    indicator: str
    key: str
    value: int | None
    sdg: str | None = None


@dataclass(frozen=True, slots=True)
class Share:
    """A published share numerator/denominator; both None when suppressed."""

    indicator: str
    key: str
    numerator: int | None
    denominator: int | None
    sdg: str | None = None

    @property
    def share(self) -> float | None:
        if self.numerator is None or not self.denominator:
            return None
        return self.numerator / self.denominator


@dataclass(frozen=True, slots=True)
class Query:
    """Where the indicators read: cells, period, threshold k and filters on shared dimensions."""

    cells: Mapping[CellKey, int]
    period: Period
    k: int
    filters: Mapping[str, Filter]

    def groups(
        self, measure: Measure, by: str, extra: Mapping[str, Filter] | None = None
    ) -> dict[str, int]:
        result = rollup(
            self.cells,
            measure=measure,
            granularity=self.period.granularity,
            group_by=[by],
            filters=narrow(self.filters, extra or {}),
            start=self.period.start,
            end=self.period.end,
        )
        return {str(key[0]): count for key, count in result.items()}

    def count(self, measure: Measure, extra: Mapping[str, Filter] | None = None) -> int:
        return total(
            self.cells,
            measure=measure,
            granularity=self.period.granularity,
            filters=narrow(self.filters, extra or {}),
            start=self.period.start,
            end=self.period.end,
        )


def share(query: Query, indicator: str, key: str, part: int, whole: int, sdg: str | None) -> Share:
    """A share whose base table is {part, whole - part} with total `whole`."""
    if part > whole:
        raise ValueError(f"{indicator}/{key}: numerator {part} exceeds denominator {whole}")
    line = suppress_line({"in": part, "out": whole - part}, ["in", "out"], query.k)
    visible = line.get("in") is not None and line.get("out") is not None
    if not visible or line.total() is None:
        return Share(indicator, key, None, None, sdg)
    return Share(indicator, key, part, whole, sdg)


def referrals_by_commitment(query: Query) -> list[Count]:
    """Referrals per GCM objective and per GCR area, from the suppressed pathway table."""
    pathways: Sequence[str] = tuple(COMMITMENTS)
    line = suppress_line(query.groups("referrals", "pathway"), pathways, query.k)
    out: list[Count] = []
    targets = [(f"GCM-{o}", gcm_pathways(o)) for o in GCM_OBJECTIVES]
    targets += [(f"GCR-{a}", gcr_pathways(a)) for a in GCR_AREAS]
    for key, codes in targets:
        parts = [line.get(code) for code in codes]
        value = None if None in parts else sum(p for p in parts if p is not None)
        out.append(Count("referrals_by_commitment", key, value, SDG_10_7_2))
    return out


def child_protection_within_sla(query: Query) -> Share:
    """Children (0-17) whose CHILD_PROTECTION referral was accepted within its SLA.

    Denominator: such referrals whose SLA settled in the period (accepted in time, or overdue).
    """
    base = {"pathway": "CHILD_PROTECTION", "age_band": CHILD_AGE_BANDS}
    settled = query.groups("outcomes", "sla", base)
    met, missed = settled.get("met", 0), settled.get("missed", 0)
    return share(
        query, "child_protection_within_sla", "CHILD_PROTECTION", met, met + missed, SDG_10_7_2
    )


def protection_signal_referred_to_asylum(query: Query) -> Share:
    """People with asylum intent or fear of return who were referred to ASYLUM_PROCEDURE."""
    signal: dict[str, Filter] = {"protection_signal": "yes"}
    people = query.count("arrivals", signal) + query.count("returns", signal)
    referred = query.count("referrals", {**signal, "pathway": "ASYLUM_PROCEDURE"})
    return share(
        query,
        "protection_signal_referred_to_asylum",
        "ASYLUM_PROCEDURE",
        referred,
        people,
        SDG_10_7_2,
    )


def returns_by_type(query: Query) -> list[Count]:
    """Returns per return type and in all (GCM objective 21)."""
    types: tuple[str, ...] = get_args(ReturnType)
    line = suppress_line(query.groups("returns", "return_type"), types, query.k)
    out = [Count("returns_by_type", t, line.get(t), SDG_10_7_2) for t in types]
    out.append(Count("returns_by_type", "all", line.total(), SDG_10_7_2))
    return out


def reintegration_needs(query: Query) -> list[Share]:
    """Share of returnees citing each reintegration need (GCM objective 21); needs overlap."""
    whole = query.count("returns")
    cited = query.groups("returns", "reintegration_needs")
    needs: tuple[str, ...] = get_args(ReintegrationNeed)
    return [
        share(query, "reintegration_needs", n, cited.get(n, 0), whole, SDG_10_7_2) for n in needs
    ]


def movement_drivers(query: Query) -> list[Share]:
    """Share of arrivals citing each movement reason (GCM objective 2); reasons overlap."""
    whole = query.count("arrivals")
    cited = query.groups("arrivals", "movement_reasons")
    reasons: tuple[str, ...] = get_args(MovementReasonCode)
    return [share(query, "movement_drivers", r, cited.get(r, 0), whole, None) for r in reasons]


def refugee_arrivals_by_nationality(query: Query) -> list[Count]:
    """Arrivals of recognised refugees and asylum seekers per nationality, and in all."""
    statuses: dict[str, Filter] = {"legal_status": ("recognised_refugee", "asylum_seeker")}
    groups = query.groups("arrivals", "nationality", statuses)
    keys = sorted(groups)
    line = suppress_line(groups, keys, query.k)
    out = [Count("refugee_arrivals_by_nationality", n, line.get(n), SDG_10_7_4) for n in keys]
    out.append(Count("refugee_arrivals_by_nationality", "all", line.total(), SDG_10_7_4))
    return out


@dataclass(frozen=True, slots=True)
class IndicatorReport:
    """Every indicator for one period, already suppressed."""

    period: Period
    referrals_by_commitment: list[Count]
    child_protection_within_sla: Share
    protection_signal_referred_to_asylum: Share
    returns_by_type: list[Count]
    reintegration_needs: list[Share]
    movement_drivers: list[Share]
    refugee_arrivals_by_nationality: list[Count]


def compute_indicators(
    cells: Mapping[CellKey, int],
    period: Period,
    *,
    k: int,
    filters: Mapping[str, Filter] | None = None,
) -> IndicatorReport:
    """All indicators for a period; `filters` may use only `country`, `sex`, `age_band`.

    Those three dimensions are shared by every measure, so one filter means the same population
    for every numerator and denominator.
    """
    allowed = {"country", "sex", "age_band"}
    if filters and set(filters) - allowed:
        raise ValueError(f"indicator filters must be among {sorted(allowed)}")
    query = Query(cells, period, k, filters or {})
    return IndicatorReport(
        period=period,
        referrals_by_commitment=referrals_by_commitment(query),
        child_protection_within_sla=child_protection_within_sla(query),
        protection_signal_referred_to_asylum=protection_signal_referred_to_asylum(query),
        returns_by_type=returns_by_type(query),
        reintegration_needs=reintegration_needs(query),
        movement_drivers=movement_drivers(query),
        refugee_arrivals_by_nationality=refugee_arrivals_by_nationality(query),
    )
