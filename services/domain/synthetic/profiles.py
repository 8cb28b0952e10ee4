"""Synthetic flow profiles: which routes people take, in which groups, and who later returns.

A `Route` is where a group is met (country, admin1, site, agency), where it came from and how,
who travels on it (nationalities) and in what groups (boats or smaller parties, households,
unaccompanied children). A `Profile` is a weighted set of routes. On return routes a share of
the people met is scheduled to return weeks later under the same `person_ref`; `direct_returns`
are returns of people whose arrival happened before the stream began.
"""

from dataclasses import dataclass

from schemas.codes import LegalStatus, ReturnType, SiteType, TravelMode
from services.domain.synthetic.draws import Weighted


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    country: str
    agency: str
    admin1: Weighted[str]
    sites: Weighted[SiteType]
    departure: Weighted[str]
    transit: Weighted[tuple[str, ...]]
    mode: TravelMode
    nationalities: Weighted[str]
    group_size: tuple[int, int]
    household_share: float = 0.1
    unaccompanied_share: float = 0.09
    smuggler: float = 0.9
    status: Weighted[LegalStatus] | None = None
    """Legal status drawn for everyone (air arrivals); None: it follows from asylum intent."""
    return_share: float = 0.0
    return_weeks: tuple[int, int] = (2, 12)
    return_types: Weighted[ReturnType] | None = None


@dataclass(frozen=True, slots=True)
class DirectReturns:
    """Returns with no arrival in the stream: host country -> nationalities sent back."""

    hosts: Weighted[str]
    nationalities: dict[str, Weighted[str]]
    return_types: Weighted[ReturnType]
    group_size: tuple[int, int] = (1, 6)


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    description: str
    routes: Weighted[Route]
    per_day: float
    """Default events per day: returns come weeks after arrivals, so a stream of a few
    thousand events must span months for them to show."""
    direct_returns: DirectReturns | None = None
    direct_return_share: float = 0.0


W = Weighted
SEA: W[SiteType] = W({"sea_arrival": 0.8, "reception_centre": 0.15, "transit_point": 0.05})
ONLY: W[tuple[str, ...]] = W({(): 1.0})
ASSISTED: W[ReturnType] = W(
    {"assisted_voluntary": 0.88, "spontaneous_voluntary": 0.07, "forced": 0.05}
)

CENTRAL_MED_LIBYA = Route(
    "central-med-libya",
    "ITA",
    "ITA-MOI",
    W({"IT-82": 0.7, "IT-78": 0.15, "IT-75": 0.1, "IT-88": 0.05}),
    SEA,
    W({"LBY": 1.0}),
    W({("NER", "LBY"): 0.3, ("TCD", "LBY"): 0.2, ("EGY", "LBY"): 0.2, ("LBY",): 0.3}),
    "sea",
    W(
        {
            "SDN": 0.18,
            "BGD": 0.17,
            "EGY": 0.12,
            "ERI": 0.1,
            "SYR": 0.08,
            "PAK": 0.07,
            "GIN": 0.06,
            "CIV": 0.05,
            "MLI": 0.05,
            "NGA": 0.04,
            "SOM": 0.04,
            "XXA": 0.02,
            "XXX": 0.02,
        }
    ),
    (20, 120),
)
CENTRAL_MED_TUNISIA = Route(
    "central-med-tunisia",
    "ITA",
    "ITA-MOI",
    W({"IT-82": 0.85, "IT-88": 0.15}),
    SEA,
    W({"TUN": 1.0}),
    W({("DZA", "TUN"): 0.3, ("LBY", "TUN"): 0.2, ("TUN",): 0.5}),
    "sea",
    W({"TUN": 0.3, "GIN": 0.2, "CIV": 0.2, "SDN": 0.1, "MLI": 0.1, "BGD": 0.05, "EGY": 0.05}),
    (10, 50),
)
EASTERN_MED = Route(
    "eastern-med",
    "GRC",
    "GRC-MOM",
    W({"GR-K": 0.6, "GR-L": 0.4}),
    SEA,
    W({"TUR": 1.0}),
    W({("IRN", "TUR"): 0.4, ("TUR",): 0.6}),
    "sea",
    W({"AFG": 0.35, "SYR": 0.3, "IRQ": 0.1, "PAK": 0.1, "SOM": 0.05, "COD": 0.05, "XXA": 0.05}),
    (15, 60),
    household_share=0.3,
    unaccompanied_share=0.06,
)
ATLANTIC = Route(
    "atlantic",
    "ESP",
    "ESP-MIR",
    W({"ES-CN": 1.0}),
    SEA,
    W({"SEN": 0.4, "MRT": 0.4, "MAR": 0.2}),
    ONLY,
    "sea",
    W({"SEN": 0.35, "MLI": 0.3, "GMB": 0.1, "MAR": 0.1, "GIN": 0.1, "CIV": 0.05}),
    (50, 200),
    household_share=0.05,
    unaccompanied_share=0.12,
)
AGADEZ = Route(
    "agadez",
    "NER",
    "IOM-NER",
    W({"NE-1": 0.8, "NE-8": 0.2}),
    W({"transit_point": 0.7, "urban": 0.3}),
    W({"MLI": 0.4, "BFA": 0.3, "NGA": 0.3}),
    W({("MLI",): 0.4, ("BFA",): 0.3, (): 0.3}),
    "land",
    W(
        {
            "GIN": 0.2,
            "MLI": 0.2,
            "NGA": 0.15,
            "SEN": 0.1,
            "GMB": 0.1,
            "CIV": 0.1,
            "CMR": 0.1,
            "BFA": 0.05,
        }
    ),
    (5, 30),
    household_share=0.05,
    unaccompanied_share=0.07,
    smuggler=0.6,
    return_share=0.55,
    return_weeks=(3, 12),
    return_types=ASSISTED,
)
LIBYA_URBAN = Route(
    "libya",
    "LBY",
    "IOM-LBY",
    W({"LY-TB": 0.6, "LY-BA": 0.2, "LY-SB": 0.2}),
    W({"urban": 0.5, "detention": 0.4, "transit_point": 0.1}),
    W({"NER": 0.5, "TCD": 0.2, "EGY": 0.3}),
    ONLY,
    "land",
    W(
        {
            "NGA": 0.2,
            "BGD": 0.15,
            "SDN": 0.15,
            "GIN": 0.1,
            "MLI": 0.1,
            "EGY": 0.1,
            "GMB": 0.1,
            "SEN": 0.1,
        }
    ),
    (3, 25),
    household_share=0.05,
    unaccompanied_share=0.05,
    smuggler=0.7,
    return_share=0.5,
    return_weeks=(2, 16),
    return_types=W({"assisted_voluntary": 0.85, "forced": 0.1, "spontaneous_voluntary": 0.05}),
)
AIR = Route(
    "air", "DEU", "DEU-BAMF",
    W({"DE-HE": 0.5, "DE-BE": 0.3, "DE-BY": 0.2}), W({"airport": 1.0}),
    W({"TUR": 0.3, "ARE": 0.4, "POL": 0.3}), ONLY, "air",
    W({"IND": 0.25, "PHL": 0.2, "SYR": 0.2, "AFG": 0.1, "UKR": 0.15, "VEN": 0.1}),
    (1, 8), household_share=0.25, unaccompanied_share=0.01, smuggler=0.05,
    status=W({"regular_migrant": 0.55, "recognised_refugee": 0.25, "asylum_seeker": 0.1,
              "irregular_migrant": 0.1}),
)  # fmt: skip

DIRECT_RETURNS = DirectReturns(
    hosts=W({"DEU": 0.3, "ITA": 0.25, "SAU": 0.2, "TUR": 0.15, "MAR": 0.1}),
    nationalities={
        "DEU": W({"GIN": 0.3, "NGA": 0.3, "PAK": 0.2, "GMB": 0.2}),
        "ITA": W({"TUN": 0.4, "EGY": 0.3, "BGD": 0.3}),
        "SAU": W({"BGD": 0.5, "PAK": 0.3, "IND": 0.2}),
        "TUR": W({"AFG": 0.6, "PAK": 0.4}),
        "MAR": W({"GIN": 0.4, "MLI": 0.3, "SEN": 0.3}),
    },
    return_types=W({"forced": 0.45, "assisted_voluntary": 0.45, "spontaneous_voluntary": 0.1}),
)

PROFILES: dict[str, Profile] = {
    "sea-mixed": Profile(
        "sea-mixed",
        "Sea arrivals in Italy, Greece and Spain (Central and Eastern Mediterranean, Atlantic): "
        "boats of mixed nationalities, refugees and migrants together.",
        W({CENTRAL_MED_LIBYA: 0.45, CENTRAL_MED_TUNISIA: 0.25, EASTERN_MED: 0.15, ATLANTIC: 0.15}),
        per_day=800,
    ),
    "return-corridor": Profile(
        "return-corridor",
        "People met in Niger and Libya, half of whom return home weeks later (assisted voluntary "
        "return) under the same person_ref, plus returns from Europe and the Gulf.",
        W({AGADEZ: 0.55, LIBYA_URBAN: 0.45}),
        300,
        DIRECT_RETURNS,
        direct_return_share=0.2,
    ),
    "mixed": Profile(
        "mixed",
        "The default: sea arrivals, the return corridor and regular or resettlement air arrivals.",
        W({CENTRAL_MED_LIBYA: 0.3, CENTRAL_MED_TUNISIA: 0.12, EASTERN_MED: 0.1, ATLANTIC: 0.08,
           AGADEZ: 0.12, LIBYA_URBAN: 0.1, AIR: 0.18}),
        1500,
        DIRECT_RETURNS,
        direct_return_share=0.08,
    ),
}  # fmt: skip
