"""HXL export: every column has a core hashtag, and libhxl reads and validates the CSV."""

import io

import hxl
import pytest

from services.domain.flows.cube import FlowCube
from services.domain.flows.hxl_tags import COLUMN_TAGS, count_tag, hashtag, to_hxl_csv
from services.domain.flows.keys import DIMENSIONS
from services.domain.flows.rollup import rollup
from services.domain.flows.suppression import suppress_line

from .stream import DAY, arrival, known_stream

pytestmark = pytest.mark.unit

CORE = {
    "#date", "#meta", "#indicator", "#country", "#adm1", "#loc", "#group", "#status", "#cause",
    "#sector", "#service", "#severity", "#population", "#targeted", "#output",
}  # fmt: skip


def test_every_dimension_of_every_measure_has_a_core_hxl_hashtag() -> None:
    for dims in DIMENSIONS.values():
        for dim in dims:
            tag = hxl.model.Column.parse(COLUMN_TAGS[dim])
            assert tag.tag in CORE, dim


def test_count_hashtags_carry_hxl_disaggregation_attributes_for_pinned_filters() -> None:
    assert count_tag("arrivals") == "#population+arrivals+num"
    assert count_tag("arrivals", {"sex": "female", "age_band": ("0-4", "12-17")}) == (
        "#population+arrivals+num+f+children"
    )
    assert count_tag("returns", {"sex": ("female", "male")}) == "#population+returnees+num"
    assert count_tag("arrivals", {"legal_status": "recognised_refugee"}).endswith("+refugees")


def test_a_column_without_a_hashtag_is_refused() -> None:
    with pytest.raises(ValueError, match="no HXL hashtag"):
        hashtag("person_ref", "arrivals")


def test_a_suppressed_rollup_exports_as_hxl_csv_that_libhxl_reads_and_validates() -> None:
    cube = FlowCube()
    for obs in [*known_stream(), arrival(50, nationality="ERI"), arrival(51, nationality="ERI")]:
        cube.fold(obs)
    groups = rollup(cube.cells, measure="arrivals", granularity="day", group_by=["nationality"])
    nationalities = sorted(str(key[0]) for key in groups)
    line = suppress_line({str(key[0]): n for key, n in groups.items()}, nationalities, 5)
    columns = ["window_start", "nationality", "count", "suppressed"]
    rows = [[DAY, n, line.get(n), "yes" if line.get(n) is None else "no"] for n in nationalities]
    text = to_hxl_csv(columns, rows, measure="arrivals", filters={"country": "ITA"})

    header, tags, *data = text.splitlines()
    assert header == ",".join(columns)
    assert tags == "#date+start,#country+code+nationality,#population+arrivals+num,#meta+suppressed"
    assert data == [
        "2025-03-04T00:00:00Z,ERI,,yes",
        "2025-03-04T00:00:00Z,SDN,,yes",
        "2025-03-04T00:00:00Z,SYR,20,no",
        "2025-03-04T00:00:00Z,TUN,10,no",
    ]

    dataset = hxl.data(io.BytesIO(text.encode()))
    assert [c.display_tag for c in dataset.columns] == tags.split(",")
    assert dataset.columns[2].attributes == {"arrivals", "num"}
    assert [row.get("#population+arrivals") for row in dataset] == [None, None, "20", "10"]
    errors: list[object] = []
    assert hxl.schema(callback=errors.append).validate(hxl.data(io.BytesIO(text.encode())))
    assert errors == []


def test_multi_valued_coordinates_are_exported_space_separated() -> None:
    text = to_hxl_csv(
        ["movement_reasons", "count"], [[("conflict", "persecution"), 10]], measure="arrivals"
    )
    dataset = hxl.data(io.BytesIO(text.encode()))
    assert [row.get("#cause+movement") for row in dataset] == ["conflict persecution"]
