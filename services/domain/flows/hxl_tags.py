"""HXL hashtags for flow exports, and the CSV text they go in: header row, hashtag row, data.

Hashtags are HXL core ones (`#country`, `#adm1`, `#loc`, `#date`, `#group`, `#service`, `#status`,
`#severity`, `#cause`, `#sector`, `#meta`, `#population`, `#targeted`, `#output`) with attributes
saying which role a column plays. Counts carry `+num`; a filter that pins the population (one
sex, children only, refugees only) adds HXL's disaggregation attributes (`+f`, `+m`,
`+children`, `+refugees`) to the count's hashtag. Suppressed counts are written as empty cells
and flagged in a `#meta+suppressed` column. Building the text is pure; writing it is the caller's.
"""

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from schemas.codes import CHILD_AGE_BANDS
from services.domain.flows.keys import Measure
from services.domain.flows.rollup import Filter, allowed_values

COLUMN_TAGS: dict[str, str] = {
    "window_start": "#date+start",
    "window_end": "#date+end",
    "granularity": "#meta+granularity",
    "measure": "#indicator+code",
    "event_kind": "#meta+event_kind",
    "country": "#country+code",
    "admin1": "#adm1+code",
    "site_type": "#loc+type",
    "nationality": "#country+code+nationality",
    "host_country": "#country+code+host",
    "sex": "#group+sex",
    "age_band": "#group+age",
    "legal_status": "#group+legal_status",
    "return_type": "#group+return_type",
    "protection_signal": "#status+protection_signal",
    "movement_reasons": "#cause+movement",
    "reintegration_needs": "#sector+reintegration_needs",
    "pathway": "#service+code",
    "framework": "#meta+framework",
    "urgency": "#severity+urgency",
    "outcome": "#status+outcome",
    "sla": "#status+sla",
    "suppressed": "#meta+suppressed",
}
"""Dimension and metadata columns -> HXL hashtag with attributes."""

COUNT_TAGS: dict[Measure, str] = {
    "arrivals": "#population+arrivals+num",
    "returns": "#population+returnees+num",
    "referrals": "#targeted+referrals+num",
    "outcomes": "#output+referral_outcomes+num",
}
"""Count column of each measure -> HXL hashtag."""


def count_tag(measure: Measure, filters: Mapping[str, Filter] | None = None) -> str:
    """The count's hashtag, with disaggregation attributes for filters that pin the population."""
    tag = COUNT_TAGS[measure]
    pinned = {name: allowed_values(value) for name, value in (filters or {}).items()}
    sexes = pinned.get("sex", frozenset())
    if sexes == frozenset({"female"}):
        tag += "+f"
    elif sexes == frozenset({"male"}):
        tag += "+m"
    ages = pinned.get("age_band")
    if ages and ages <= CHILD_AGE_BANDS:
        tag += "+children"
    if pinned.get("legal_status", frozenset()) == frozenset({"recognised_refugee"}):
        tag += "+refugees"
    return tag


def hashtag(column: str, measure: Measure, filters: Mapping[str, Filter] | None = None) -> str:
    """The hashtag of any export column; `count` depends on the measure and filters."""
    if column == "count":
        return count_tag(measure, filters)
    try:
        return COLUMN_TAGS[column]
    except KeyError:
        raise ValueError(f"no HXL hashtag for column {column!r}") from None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, tuple):
        # Multi-valued coordinates: HXL has no list type; a space never occurs inside our codes.
        return " ".join(str(v) for v in value)
    return str(value)


def to_hxl_csv(
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    measure: Measure,
    filters: Mapping[str, Filter] | None = None,
) -> str:
    """CSV text with a header row, an HXL hashtag row, then one line per row (None -> empty)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerow([hashtag(c, measure, filters) for c in columns])
    for row in rows:
        writer.writerow([_text(v) for v in row])
    return buffer.getvalue()
