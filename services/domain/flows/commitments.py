"""Which GCM objectives and GCR areas a referral to each pathway counts towards, for indicators.

Sources: the objectives of the Global Compact for Safe, Orderly and Regular Migration are listed
in paragraph 16 of General Assembly resolution A/RES/73/195 (19 December 2018); the areas of the
Global Compact on Refugees are the sections of its Programme of action, Part III.B "Areas in need
of support" (A/73/12 (Part II), affirmed by A/RES/73/151). The pairing of pathways with them
follows the "serves" column of PRODUCT.md section 5 (`services/domain/pathways.py`); a unit test
keeps the two in step. A pathway may serve several commitments, so counts per commitment overlap.
"""

from schemas.decisions import PathwayCode

GCM_OBJECTIVES: dict[int, str] = {
    1: "Collect and utilize accurate and disaggregated data",
    2: "Minimize the adverse drivers and structural factors that compel people to leave",
    3: "Provide accurate and timely information at all stages of migration",
    4: "Ensure that all migrants have proof of legal identity and adequate documentation",
    5: "Enhance availability and flexibility of pathways for regular migration",
    6: "Facilitate fair and ethical recruitment and safeguard conditions for decent work",
    7: "Address and reduce vulnerabilities in migration",
    9: "Strengthen the transnational response to smuggling of migrants",
    10: "Prevent, combat and eradicate trafficking in persons",
    12: "Strengthen certainty and predictability in migration procedures for screening, "
    "assessment and referral",
    14: "Enhance consular protection, assistance and cooperation",
    15: "Provide access to basic services for migrants",
    18: "Invest in skills development and facilitate mutual recognition of skills",
    19: "Create conditions for migrants and diasporas to contribute to sustainable development",
    20: "Promote faster, safer and cheaper transfer of remittances",
    21: "Cooperate in facilitating safe and dignified return and readmission, and sustainable "
    "reintegration",
    22: "Establish mechanisms for the portability of social security entitlements",
}
"""The GCM objectives some pathway serves (objectives no pathway serves are left out)."""

GCR_AREAS: dict[str, str] = {
    "1.5": "Reception and admission: addressing specific needs",
    "1.6": "Reception and admission: identifying international protection needs",
    "2.3": "Meeting needs and supporting communities: health",
    "2.4": "Meeting needs and supporting communities: women and girls",
    "2.5": "Meeting needs and supporting communities: children, adolescents and youth",
    "2.9": "Meeting needs and supporting communities: statelessness",
    "3.2": "Solutions: resettlement",
    "3.3": "Solutions: complementary pathways for admission to third countries",
}
"""The GCR Part III.B sections some pathway serves, by section number."""

COMMITMENTS: dict[PathwayCode, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "ASYLUM_PROCEDURE": ((12,), ("1.6",)),
    "RESETTLEMENT_ASSESSMENT": ((), ("3.2",)),
    "COMPLEMENTARY_PATHWAYS": ((), ("3.3",)),
    "FAMILY_REUNIFICATION": ((5,), ("3.3",)),
    "CHILD_PROTECTION": ((7,), ("2.5",)),
    "ANTI_TRAFFICKING": ((10,), ("1.5",)),
    "GBV_SUPPORT": ((7,), ("2.4",)),
    "MEDICAL_CARE": ((15,), ("2.3",)),
    "LABOUR_MOBILITY": ((5, 6), ()),
    "SKILLS_RECOGNITION": ((18,), ()),
    "SMUGGLING_RESPONSE": ((9,), ()),
    "CONSULAR_DOCUMENTATION": ((4, 14), ()),
    "STATELESSNESS_DETERMINATION": ((4,), ("2.9",)),
    "DISASTER_DISPLACEMENT": ((2, 5), ()),
    "RETURN_REINTEGRATION": ((21,), ()),
    "BENEFITS_PORTABILITY": ((22,), ()),
    "DIASPORA_ENTREPRENEURSHIP": ((19, 20), ()),
    # "Needs further assessment" is itself the GCR's identification-and-referral step.
    "INFORMATION_COUNSELLING": ((3, 12), ("1.6",)),
}
"""Pathway -> (GCM objective numbers, GCR Part III.B section numbers)."""


def gcm_pathways(objective: int) -> tuple[str, ...]:
    """The pathways whose referrals count towards one GCM objective."""
    return tuple(code for code, (gcm, _) in COMMITMENTS.items() if objective in gcm)


def gcr_pathways(area: str) -> tuple[str, ...]:
    """The pathways whose referrals count towards one GCR area."""
    return tuple(code for code, (_, gcr) in COMMITMENTS.items() if area in gcr)
