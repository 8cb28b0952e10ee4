"""The pathway taxonomy of PRODUCT.md §5: what each routing target is and who usually receives it.

This table is the one place the linter, the engine and the docs learn a pathway's framework
(GCM, GCR or BOTH), the commitments it serves and the default receiving actor kind. It holds no
routing logic: when a pathway is chosen is the rules' business.
"""

from dataclasses import dataclass
from typing import get_args

from schemas.codes import Framework
from schemas.decisions import PathwayCode, ReceivingActorKind


@dataclass(frozen=True, slots=True)
class Pathway:
    """One routing target: its code, framework, the commitments it serves, its usual receiver."""

    code: PathwayCode
    framework: Framework
    serves: str
    receiving_actor: ReceivingActorKind


_TABLE: tuple[Pathway, ...] = (
    Pathway(
        "ASYLUM_PROCEDURE",
        "GCR",
        "GCR identification of international protection needs, access to asylum; GCM obj 12",
        "asylum_authority",
    ),
    Pathway("RESETTLEMENT_ASSESSMENT", "GCR", "GCR solutions: resettlement", "unhcr"),
    Pathway(
        "COMPLEMENTARY_PATHWAYS",
        "GCR",
        "GCR solutions: complementary pathways (family, labour, education)",
        "unhcr",
    ),
    Pathway(
        "FAMILY_REUNIFICATION",
        "BOTH",
        "GCR complementary pathways; GCM obj 5",
        "family_tracing_service",
    ),
    Pathway("CHILD_PROTECTION", "BOTH", "GCR children; GCM obj 7", "child_protection_authority"),
    Pathway("ANTI_TRAFFICKING", "BOTH", "GCM obj 10; GCR specific needs", "anti_trafficking_unit"),
    Pathway("GBV_SUPPORT", "BOTH", "GCR women and girls; GCM obj 7", "gbv_service"),
    Pathway("MEDICAL_CARE", "BOTH", "GCM obj 15; GCR health", "health_service"),
    Pathway(
        "LABOUR_MOBILITY",
        "GCM",
        "GCM obj 5 and 6 (regular pathways, fair recruitment)",
        "labour_mobility_agency",
    ),
    Pathway("SKILLS_RECOGNITION", "GCM", "GCM obj 18", "qualifications_authority"),
    Pathway("SMUGGLING_RESPONSE", "GCM", "GCM obj 9", "migrant_protection_service"),
    Pathway("CONSULAR_DOCUMENTATION", "GCM", "GCM obj 4 and 14", "consular_service"),
    Pathway(
        "STATELESSNESS_DETERMINATION",
        "BOTH",
        "GCR statelessness; GCM obj 4",
        "statelessness_authority",
    ),
    Pathway(
        "DISASTER_DISPLACEMENT",
        "GCM",
        "GCM obj 2 and 5 (humanitarian visas, temporary protection)",
        "immigration_authority",
    ),
    Pathway("RETURN_REINTEGRATION", "GCM", "GCM obj 21", "reintegration_service"),
    Pathway("BENEFITS_PORTABILITY", "GCM", "GCM obj 22", "social_security_institution"),
    Pathway("DIASPORA_ENTREPRENEURSHIP", "GCM", "GCM obj 19 and 20", "diaspora_programme"),
    Pathway("INFORMATION_COUNSELLING", "BOTH", "GCM obj 3 and 12", "information_desk"),
)

PATHWAYS: dict[str, Pathway] = {pathway.code: pathway for pathway in _TABLE}
"""Every pathway of PRODUCT.md §5 by code."""

RECEIVING_ACTOR_KINDS: frozenset[str] = frozenset(get_args(ReceivingActorKind))

assert set(PATHWAYS) == set(get_args(PathwayCode)), "taxonomy and PathwayCode must agree"
