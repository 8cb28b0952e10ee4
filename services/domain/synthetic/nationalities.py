"""What differs by nationality in the synthetic flows: reasons to move, schooling, risks.

Shares are rough orders of magnitude from public reporting on mixed movements (UNHCR and IOM
arrival dashboards, Mixed Migration Centre surveys) so that joint distributions look plausible:
Sudanese and Eritreans mostly flee conflict and persecution, Bangladeshis and Egyptians mostly
move for work, Nigerian women face high trafficking risk. They are not statistics to quote.
"""

from dataclasses import dataclass

from schemas.codes import DocumentStatus, Education, MovementReason, TraffickingIndicator
from services.domain.synthetic.draws import Weighted

LOW: Weighted[Education] = Weighted(
    {"none": 0.3, "primary": 0.4, "secondary": 0.25, "tertiary": 0.05}
)
MID: Weighted[Education] = Weighted(
    {"none": 0.1, "primary": 0.3, "secondary": 0.45, "tertiary": 0.15}
)
HIGH: Weighted[Education] = Weighted(
    {"none": 0.05, "primary": 0.15, "secondary": 0.45, "tertiary": 0.35}
)

FEW_PAPERS: Weighted[DocumentStatus] = Weighted({"none": 0.6, "partial": 0.25, "valid": 0.15})
SOME_PAPERS: Weighted[DocumentStatus] = Weighted({"none": 0.35, "partial": 0.3, "valid": 0.35})
PAPERS: Weighted[DocumentStatus] = Weighted({"none": 0.05, "partial": 0.15, "valid": 0.8})

LABOUR: tuple[TraffickingIndicator, ...] = (
    "debt_bondage",
    "forced_labour",
    "confiscated_documents",
)
SEXUAL: tuple[TraffickingIndicator, ...] = ("sexual_exploitation", "deception", "debt_bondage")
CAPTIVITY: tuple[TraffickingIndicator, ...] = (
    "restricted_movement",
    "forced_labour",
    "debt_bondage",
)

ASYLUM_PROPENSITY: dict[MovementReason, float] = {
    "persecution": 0.92,
    "conflict": 0.85,
    "generalised_violence": 0.7,
    "climate_disaster": 0.3,
    "family": 0.25,
    "other": 0.2,
    "environmental_degradation": 0.15,
    "economic": 0.1,
    "education": 0.05,
}
"""Probability of expressing asylum intent given a movement reason (the strongest reason wins)."""


@dataclass(frozen=True, slots=True)
class Traits:
    reasons: Weighted[MovementReason]
    schooling: Weighted[Education]
    documents: Weighted[DocumentStatus]
    female_share: float
    trafficking: float
    indicators: tuple[TraffickingIndicator, ...]
    family_abroad: float = 0.07


def _t(
    reasons: dict[MovementReason, float],
    schooling: Weighted[Education] = MID,
    documents: Weighted[DocumentStatus] = FEW_PAPERS,
    female: float = 0.1,
    trafficking: float = 0.02,
    indicators: tuple[TraffickingIndicator, ...] = CAPTIVITY,
    family_abroad: float = 0.07,
) -> Traits:
    return Traits(
        Weighted(reasons), schooling, documents, female, trafficking, indicators, family_abroad
    )


TRAITS: dict[str, Traits] = {
    "SDN": _t(
        {"conflict": 0.5, "generalised_violence": 0.2, "persecution": 0.15, "economic": 0.15},
        LOW,
        trafficking=0.05,
    ),
    "ERI": _t(
        {"persecution": 0.6, "conflict": 0.1, "economic": 0.15, "family": 0.15},
        MID,
        female=0.2,
        trafficking=0.07,
        family_abroad=0.12,
    ),
    "SYR": _t(
        {"conflict": 0.6, "generalised_violence": 0.15, "persecution": 0.1, "family": 0.15},
        HIGH,
        SOME_PAPERS,
        female=0.25,
        trafficking=0.01,
        family_abroad=0.15,
    ),
    "AFG": _t(
        {"persecution": 0.3, "conflict": 0.4, "generalised_violence": 0.2, "economic": 0.1},
        LOW,
        female=0.15,
        family_abroad=0.12,
    ),
    "IRQ": _t(
        {"conflict": 0.4, "persecution": 0.3, "economic": 0.2, "family": 0.1},
        MID,
        SOME_PAPERS,
        female=0.2,
    ),
    "SOM": _t(
        {"conflict": 0.4, "climate_disaster": 0.3, "generalised_violence": 0.2, "persecution": 0.1},
        LOW,
        female=0.3,
        trafficking=0.05,
    ),
    "COD": _t(
        {"conflict": 0.6, "generalised_violence": 0.25, "persecution": 0.15},
        MID,
        female=0.35,
        trafficking=0.05,
        indicators=SEXUAL,
    ),
    "BGD": _t(
        {"economic": 0.7, "climate_disaster": 0.1, "environmental_degradation": 0.1, "family": 0.1},
        LOW,
        SOME_PAPERS,
        female=0.02,
        trafficking=0.08,
        indicators=LABOUR,
    ),
    "EGY": _t({"economic": 0.8, "family": 0.15, "other": 0.05}, MID, SOME_PAPERS, female=0.03),
    "PAK": _t(
        {"economic": 0.6, "persecution": 0.15, "generalised_violence": 0.1, "family": 0.15},
        MID,
        SOME_PAPERS,
        female=0.03,
        trafficking=0.04,
        indicators=LABOUR,
    ),
    "TUN": _t(
        {"economic": 0.85, "family": 0.1, "other": 0.05},
        MID,
        SOME_PAPERS,
        female=0.1,
        trafficking=0.01,
    ),
    "MAR": _t(
        {"economic": 0.8, "family": 0.15, "education": 0.05},
        MID,
        SOME_PAPERS,
        female=0.1,
        trafficking=0.01,
    ),
    "DZA": _t(
        {"economic": 0.75, "family": 0.15, "persecution": 0.1},
        MID,
        SOME_PAPERS,
        female=0.08,
        trafficking=0.01,
    ),
    "GIN": _t(
        {
            "economic": 0.4,
            "persecution": 0.2,
            "generalised_violence": 0.2,
            "family": 0.1,
            "other": 0.1,
        },
        LOW,
        female=0.15,
        trafficking=0.07,
        indicators=SEXUAL,
    ),
    "CIV": _t(
        {
            "economic": 0.5,
            "generalised_violence": 0.2,
            "persecution": 0.1,
            "family": 0.1,
            "other": 0.1,
        },
        LOW,
        female=0.3,
        trafficking=0.1,
        indicators=SEXUAL,
    ),
    "MLI": _t(
        {"conflict": 0.4, "generalised_violence": 0.2, "economic": 0.25, "climate_disaster": 0.15},
        LOW,
        female=0.05,
        trafficking=0.04,
    ),
    "BFA": _t(
        {
            "conflict": 0.45,
            "generalised_violence": 0.2,
            "economic": 0.25,
            "environmental_degradation": 0.1,
        },
        LOW,
        female=0.08,
        trafficking=0.04,
    ),
    "NGA": _t(
        {
            "economic": 0.45,
            "generalised_violence": 0.2,
            "persecution": 0.1,
            "family": 0.1,
            "other": 0.15,
        },
        MID,
        female=0.4,
        trafficking=0.2,
        indicators=SEXUAL,
    ),
    "SEN": _t(
        {"economic": 0.7, "environmental_degradation": 0.15, "family": 0.15},
        LOW,
        female=0.05,
        trafficking=0.03,
    ),
    "GMB": _t(
        {"economic": 0.7, "persecution": 0.1, "family": 0.2}, LOW, female=0.05, trafficking=0.03
    ),
    "CMR": _t(
        {"conflict": 0.3, "generalised_violence": 0.3, "economic": 0.4},
        MID,
        female=0.25,
        trafficking=0.06,
        indicators=SEXUAL,
    ),
    "IND": _t(
        {"economic": 0.8, "education": 0.2},
        HIGH,
        PAPERS,
        female=0.3,
        trafficking=0.01,
        indicators=LABOUR,
    ),
    "PHL": _t(
        {"economic": 0.9, "family": 0.1},
        HIGH,
        PAPERS,
        female=0.6,
        trafficking=0.02,
        indicators=LABOUR,
    ),
    "UKR": _t(
        {"conflict": 0.9, "family": 0.1},
        HIGH,
        PAPERS,
        female=0.7,
        trafficking=0.01,
        family_abroad=0.2,
    ),
    "VEN": _t(
        {"generalised_violence": 0.4, "economic": 0.5, "persecution": 0.1},
        MID,
        SOME_PAPERS,
        female=0.5,
        trafficking=0.03,
        indicators=SEXUAL,
    ),
    "XXA": _t({"conflict": 0.6, "persecution": 0.3, "family": 0.1}, MID, FEW_PAPERS, female=0.25),
    "XXX": _t({"economic": 0.5, "other": 0.3, "conflict": 0.2}, LOW, FEW_PAPERS, female=0.1),
}
