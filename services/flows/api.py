"""The flows API: suppressed tables (JSON or CSV with HXL hashtags), indicators and the dashboard.

Monitors, operators and admins (`read_flows`) read aggregates only: every number leaves through
`queries.py`, which suppresses small cells with secondary suppression. Routes parse, call a
function and return; the role check is one dependency.
"""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, get_args

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from schemas.errors import Problem
from services.adapters.clock import Clock, SystemClock
from services.adapters.db.engine import create_engine_for
from services.adapters.db.tokens import TokenStore
from services.adapters.http.auth import Authenticator
from services.adapters.http.problems import ApiProblem, install_problem_handlers
from services.adapters.settings import Settings
from services.domain.access import Principal
from services.domain.flows import Period, compute_indicators
from services.domain.flows.hxl_tags import to_hxl_csv
from services.domain.flows.keys import DIMENSIONS, Measure
from services.domain.flows.rollup import Filter
from services.domain.flows.windows import Granularity, epoch_seconds
from services.flows.queries import TableQuery, indicators_json, suppressed_table
from services.flows.store import FlowCellStore

STATIC = Path(__file__).resolve().parent / "static"
MEASURES: tuple[Measure, ...] = get_args(Measure)
RESERVED = {"measure", "granularity", "start", "end", "group_by", "format"}
DEFAULT_SPAN = {"hour": timedelta(days=2), "day": timedelta(days=30)}
CSV = "text/csv; charset=utf-8"


def _invalid(path: str, reason: str) -> ApiProblem:
    return ApiProblem(
        422, "Invalid query", problems=[Problem(path=path, reason=reason, kind="invalid_value")]
    )


def _period(
    clock: Clock, granularity: Granularity, start: datetime | None, end: datetime | None
) -> tuple[datetime, datetime]:
    end = end or clock.now()
    start = start or end - DEFAULT_SPAN[granularity]
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None:
            raise _invalid(name, "give a time zone, e.g. 2026-11-01T00:00:00Z")
    if start >= end:
        raise _invalid("start", "start must be before end")
    size = 3600 if granularity == "hour" else 86400
    # A window counts when it starts in [start, end): round end up so the current one shows.
    rounded = -(-epoch_seconds(end) // size) * size
    return start, end + timedelta(seconds=rounded - epoch_seconds(end))


def _filters(request: Request, measure: Measure) -> dict[str, Filter]:
    filters: dict[str, set[str | None]] = {}
    for name, value in request.query_params.multi_items():
        if name in RESERVED:
            continue
        if name not in DIMENSIONS[measure]:
            raise _invalid(name, f"{measure} has no dimension by this name")
        filters.setdefault(name, set()).add(None if value == "unknown" else value)
    return {name: frozenset(values) for name, values in filters.items()}


def create_api(
    settings: Settings, *, clock: Clock | None = None, engine: Engine | None = None
) -> FastAPI:
    """The flows API over the flow history in `engine` (default: the configured database)."""
    clock = clock or SystemClock()
    engine = engine or create_engine_for(settings.effective_database_url)
    store = FlowCellStore(engine)
    pepper = settings.token_pepper.get_secret_value().encode()
    auth = Authenticator(TokenStore(engine, pepper), clock)
    reader = Depends(auth.allow("read_flows"))
    k = settings.privacy.suppression_threshold
    app = FastAPI(title="mixflow flows API", version="1")
    install_problem_handlers(app)
    app.mount("/dashboard/static", StaticFiles(directory=STATIC), name="dashboard-static")

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/dashboard")

    @app.get("/dashboard", include_in_schema=False)
    def dashboard() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/flows/config")
    def config(_: Annotated[Principal, reader]) -> dict[str, Any]:
        return {"suppression_threshold": k, "poll_seconds": settings.flows.dashboard_poll_s}

    @app.get("/flows/table", response_model=None)
    def table(
        request: Request,
        _: Annotated[Principal, reader],
        measure: Measure,
        granularity: Granularity = "day",
        start: datetime | None = None,
        end: datetime | None = None,
        group_by: Annotated[list[str], Query()] = [],  # noqa: B006  (FastAPI copies defaults)
        format: str = "json",
    ) -> Response | dict[str, Any]:
        if len(group_by) > 2:
            raise _invalid("group_by", "at most two (suppression is proven for 1-D and 2-D)")
        for name in group_by:
            if name != "window" and name not in DIMENSIONS[measure]:
                raise _invalid("group_by", f"{measure} cannot be grouped by this dimension")
        if format not in ("json", "csv"):
            raise _invalid("format", "json or csv")
        lo, hi = _period(clock, granularity, start, end)
        filters = _filters(request, measure)
        query = TableQuery(measure, granularity, lo, hi, tuple(group_by), filters, k)
        body = suppressed_table(query, store.cells([measure], granularity, lo, hi))
        body |= {"measure": measure, "granularity": granularity}
        body |= {"start": _iso(lo), "end": _iso(hi), "late": _late(store, query)}
        if format == "csv":
            return _csv(query, body)
        return body

    @app.get("/flows/indicators")
    def indicators(
        _: Annotated[Principal, reader],
        granularity: Granularity = "day",
        start: datetime | None = None,
        end: datetime | None = None,
        country: str | None = None,
        sex: str | None = None,
        age_band: Annotated[list[str], Query()] = [],  # noqa: B006
    ) -> JSONResponse:
        lo, hi = _period(clock, granularity, start, end)
        filters: dict[str, Filter] = {}
        if country:
            filters["country"] = country
        if sex:
            filters["sex"] = sex
        if age_band:
            filters["age_band"] = frozenset(age_band)
        cells = store.cells(MEASURES, granularity, lo, hi)
        report = compute_indicators(cells, Period(lo, hi, granularity), k=k, filters=filters)
        return JSONResponse(indicators_json(report))

    return app


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _late(store: FlowCellStore, query: TableQuery) -> int | None:
    """Too-late counts of the period (kept apart, never dropped), hidden when small."""
    cells = store.cells([query.measure], query.granularity, query.start, query.end, late=True)
    late = sum(TableQuery(**{**_fields(query), "group_by": ()}).groups(cells).values())
    return None if 0 < late < query.k else late


def _fields(query: TableQuery) -> dict[str, Any]:
    return {name: getattr(query, name) for name in TableQuery.__slots__}


def _csv(query: TableQuery, body: dict[str, Any]) -> Response:
    columns = [*query.group_by, "count", "suppressed"]
    names = ["window_start" if c == "window" else c for c in columns]
    rows = [
        [row[c] for c in query.group_by] + [row["count"], row["suppressed"]] for row in body["rows"]
    ]
    if not query.group_by:
        rows = [[body["total"], body["total"] is None]]
    lines = [[*r[:-1], "yes" if r[-1] else ""] for r in rows]
    text = to_hxl_csv(names, lines, measure=query.measure, filters=query.filters)
    filename = f"mixflow-{query.measure}-{query.granularity}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(text, media_type=CSV, headers=headers)
