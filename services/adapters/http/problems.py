"""RFC 9457 problem details for every error of every API, in one place.

Bad input gets a precise, machine-readable body: the field path and the reason. The offending
value is never echoed back (it may be a direct identifier), and no error becomes a bare 500.
"""

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from schemas.errors import ContractError, Problem, ProblemKind, dotted

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


class ApiProblem(Exception):
    """Raised by routes and dependencies; rendered as a problem+json response."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        problems: Sequence[Problem] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(title)
        self.status, self.title, self.detail = status, title, detail
        self.problems = list(problems)
        self.headers = headers


def problem_response(
    status: int,
    title: str,
    detail: str = "",
    problems: Sequence[Problem] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if problems:
        body["errors"] = [p.model_dump() for p in problems]
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _validation_problems(exc: RequestValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors():
        path = dotted(error.get("loc", ()))
        kind: ProblemKind = "missing" if error.get("type") == "missing" else "invalid_value"
        # The message of pydantic may quote input for some error types: keep only its kind.
        reason = str(error.get("msg", "invalid")).split(", input_value", 1)[0]
        problems.append(Problem(path=path, reason=reason, kind=kind))
    return problems


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiProblem)
    async def _api_problem(_: Request, exc: ApiProblem) -> JSONResponse:
        return problem_response(exc.status, exc.title, exc.detail, exc.problems, exc.headers)

    @app.exception_handler(ContractError)
    async def _contract(_: Request, exc: ContractError) -> JSONResponse:
        return problem_response(422, "The event breaks the contract", problems=exc.problems)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(422, "Invalid request", problems=_validation_problems(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers) if exc.headers else None
        return problem_response(exc.status_code, str(exc.detail), headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Logged with its type only: exception text may carry request data.
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return problem_response(
            503, "Temporarily unable to serve the request", headers={"Retry-After": "5"}
        )
