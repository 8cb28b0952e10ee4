"""The indicator mapping of pathways to GCM objectives and GCR areas agrees with the taxonomy."""

import re

import pytest

from services.domain.flows.commitments import COMMITMENTS, GCM_OBJECTIVES, GCR_AREAS
from services.domain.pathways import PATHWAYS

pytestmark = pytest.mark.unit


def test_every_pathway_of_the_taxonomy_has_a_commitment_mapping() -> None:
    assert set(COMMITMENTS) == set(PATHWAYS)


def test_the_gcm_objectives_match_those_the_taxonomy_says_each_pathway_serves() -> None:
    for code, pathway in PATHWAYS.items():
        match = re.search(r"GCM obj ([0-9 ,and]+)", pathway.serves)
        said = {int(n) for n in re.findall(r"\d+", match.group(1))} if match else set()
        assert set(COMMITMENTS[pathway.code][0]) == said, code


def test_a_pathway_of_the_refugee_framework_only_counts_towards_a_gcr_area() -> None:
    for code, pathway in PATHWAYS.items():
        gcm, gcr = COMMITMENTS[pathway.code]
        if pathway.framework == "GCR":
            assert gcr, code
        if pathway.framework == "GCM":
            assert gcm and not gcr, code
        assert set(gcm) <= set(GCM_OBJECTIVES) and set(gcr) <= set(GCR_AREAS)
