"""The service directory: the shipped file, resolution order, fallbacks and validation errors."""

import pytest

from services.domain.directory import Assignment, parse_directory, resolve
from services.domain.errors import DirectoryError
from services.domain.pathways import PATHWAYS
from tests.unit.cases.builders import shipped_directory

pytestmark = pytest.mark.unit

ARRIVAL = ("ITA", "GRC", "ESP", "MLT", "TUR", "LBY", "TUN", "MAR")
RETURN = ("NGA", "SEN", "GMB", "GIN", "BGD", "PAK", "IRQ")

SMALL = """
version: 1
global_fallback: INTERAGENCY-REFERRAL-DESK
countries:
  ITA:
    national_fallback: ITA-MOI
    pathways:
      CHILD_PROTECTION: ITA-CHILD-SVC
    admin1:
      IT-82:
        CHILD_PROTECTION: ITA-82-CHILD-SVC
"""


@pytest.fixture
def small():
    return parse_directory(SMALL, "small.yaml")


def test_a_regional_entry_wins_over_the_country_entry(small):
    assert resolve(small, "CHILD_PROTECTION", "ITA", "IT-82") == Assignment(
        "ITA-82-CHILD-SVC", False
    )


def test_a_region_without_its_own_entry_uses_the_country_entry(small):
    assert resolve(small, "CHILD_PROTECTION", "ITA", "IT-78") == Assignment("ITA-CHILD-SVC", False)
    assert resolve(small, "CHILD_PROTECTION", "ITA", None) == Assignment("ITA-CHILD-SVC", False)


def test_a_pathway_without_entry_goes_to_the_national_fallback_flagged(small):
    assert resolve(small, "GBV_SUPPORT", "ITA", "IT-82") == Assignment("ITA-MOI", True)


def test_a_country_outside_the_directory_goes_to_the_global_fallback_flagged(small):
    assert resolve(small, "ASYLUM_PROCEDURE", "FRA", None) == Assignment(
        "INTERAGENCY-REFERRAL-DESK", True
    )


def test_the_shipped_directory_covers_the_arrival_and_return_countries_of_the_routes():
    directory = shipped_directory()
    assert set(ARRIVAL) | set(RETURN) <= set(directory.countries)
    for country in ARRIVAL:
        for pathway in ("ASYLUM_PROCEDURE", "CHILD_PROTECTION", "ANTI_TRAFFICKING", "MEDICAL_CARE"):
            assert not resolve(directory, pathway, country, None).fallback, (country, pathway)
    for country in RETURN:
        for pathway in ("RETURN_REINTEGRATION", "ANTI_TRAFFICKING", "CHILD_PROTECTION"):
            assert not resolve(directory, pathway, country, None).fallback, (country, pathway)


def test_the_shipped_directory_assigns_every_pathway_in_every_country_to_someone():
    directory = shipped_directory()
    for country in directory.countries:
        for pathway in PATHWAYS:
            assert resolve(directory, pathway, country, None).agency  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            SMALL.replace("CHILD_PROTECTION: ITA-CHILD", "CHILD_PROTECTON: ITA-CHILD"),
            "countries.ITA.pathways.CHILD_PROTECTON: unknown code 'CHILD_PROTECTON'",
        ),
        (SMALL.replace("  ITA:", "  ITX:"), "countries.ITX: unknown code 'ITX'"),
        (
            SMALL.replace("national_fallback: ITA-MOI", "national_fallback: ita moi"),
            "countries.ITA.national_fallback: String should match pattern",
        ),
        (
            SMALL.replace("IT-82:", "GR-K:"),
            "countries.ITA.admin1.GR-K: region code must start with IT",
        ),
        (SMALL.replace("version: 1", "version: 1\nowner: nobody"), "owner: Extra inputs"),
        (
            SMALL.replace("global_fallback: INTERAGENCY-REFERRAL-DESK\n", ""),
            "global_fallback: Field required",
        ),
        ("- just\n- a list\n", "must be a mapping"),
        ("version: [1\n", "not valid YAML"),
    ],
)
def test_an_invalid_directory_is_refused_with_the_path_of_the_problem(text, problem):
    with pytest.raises(DirectoryError) as refused:
        parse_directory(text, "directory.yaml")
    assert refused.value.file == "directory.yaml"
    assert any(problem in p for p in refused.value.problems), refused.value.problems
