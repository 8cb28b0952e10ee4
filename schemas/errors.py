"""Why an event breaks its contract, said without repeating what the event contained.

`ContractError` carries one `Problem` per broken rule: a dotted field path
(`data.protection.asylum_intent`), a reason a publisher can act on and a small closed `kind`
that dead-letter counters and problem+json responses group by. Problems are built from pydantic
errors through `problems_from()`, which drops pydantic's `input` and rewrites the few messages
that would repeat it: rejected events may hold exactly the personal data the contract keeps out,
so an error must never copy a value into logs, dead letters or HTTP responses.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from schemas.base import Contract

ProblemKind = Literal[
    "malformed_json",
    "missing",
    "unknown_field",
    "invalid_value",
    "direct_identifier",
    "inconsistent",
    "clock_skew",
    "internal",
]


class Problem(Contract):
    """One broken rule: where (`path`, "" for the whole document), why, and what kind."""

    path: str
    reason: str
    kind: ProblemKind

    def __str__(self) -> str:
        return f"{self.path or '$'}: {self.reason}"


class ContractError(ValueError):
    """An event (or record) does not meet its contract; `problems` says where and why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems) or "contract violated")


# Error types whose pydantic message is replaced because it could repeat the input, or because
# a shorter sentence says the same to a publisher.
_REASONS: dict[str, tuple[str, ProblemKind]] = {
    "missing": ("required field is missing", "missing"),
    "extra_forbidden": ("unknown field (the contract is closed)", "unknown_field"),
    "json_type": ("malformed JSON", "malformed_json"),
}

# Custom error types raised by the contracts' own validators: (kind, path override or None).
_CUSTOM: dict[str, tuple[ProblemKind, str | None]] = {
    "agency_mismatch": ("inconsistent", None),
    "subject_mismatch": ("inconsistent", None),
    "window_mismatch": ("inconsistent", None),
    "suppression_mismatch": ("inconsistent", None),
}

Classifier = Callable[[str, object], str | None]
"""Given a path and a rejected input, the name of the direct identifier it looks like, if any."""


def dotted(loc: Iterable[int | str]) -> str:
    """`("data", "journey", "transit_countries", 2)` -> `data.journey.transit_countries[2]`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else part
    return path


def problems_from(
    exc: ValidationError,
    *,
    drop_prefix: frozenset[str] = frozenset(),
    rename: Mapping[str, str] | None = None,
    identify: Classifier | None = None,
) -> list[Problem]:
    """Turn a pydantic `ValidationError` into problems that never contain the input.

    `drop_prefix`: location heads to drop (a discriminated union puts the tag first).
    `rename`: top-level field -> name the publisher used (`time` -> `ce_time` in binary mode).
    `identify`: the direct-identifier classifier; when a rejected input looks like an
    identifier, that is the reason given, since it is both the likelier cause and the one the
    publisher must fix first.
    """
    problems: list[Problem] = []
    for error in exc.errors(include_url=False, include_context=True, include_input=True):
        loc = list(error["loc"])
        if loc and isinstance(loc[0], str) and loc[0] in drop_prefix:
            loc = loc[1:]
        path = dotted(loc)
        found = identify(path, error["input"]) if identify and error["type"] != "missing" else None
        if found is not None:
            problem = Problem(path=path, reason=found, kind="direct_identifier")
        else:
            problem = _problem(path, error)
        problems.append(_renamed(problem, rename) if rename else problem)
    return problems


def _renamed(problem: Problem, rename: Mapping[str, str]) -> Problem:
    head, dot, rest = problem.path.partition(".")
    if head not in rename:
        return problem
    return problem.model_copy(update={"path": rename[head] + dot + rest})


def _problem(path: str, error: ErrorDetails) -> Problem:
    kind_of = error["type"]
    if kind_of in _REASONS:
        reason, kind = _REASONS[kind_of]
        return Problem(path=path, reason=reason, kind=kind)
    if kind_of in _CUSTOM:
        kind, override = _CUSTOM[kind_of]
        return Problem(path=override or path, reason=error["msg"], kind=kind)
    if kind_of == "json_invalid":
        return Problem(
            path=path, reason=f"malformed JSON ({_context(error, 'error')})", kind="malformed_json"
        )
    if kind_of == "union_tag_not_found":
        return Problem(path=path or "type", reason="required field is missing", kind="missing")
    if kind_of == "union_tag_invalid":
        expected = _context(error, "expected_tags")
        return Problem(
            path=path or "type",
            reason=f"unknown event type; expected one of {expected}",
            kind="invalid_value",
        )
    if kind_of == "literal_error":
        return Problem(path=path, reason=_literal_reason(error), kind="invalid_value")
    return Problem(path=path, reason=_scrubbed(error), kind="invalid_value")


def _literal_reason(error: ErrorDetails) -> str:
    expected = _context(error, "expected")
    # A closed list of a few values is worth printing; the 249 country codes are not.
    if expected.count(",") < 12:
        return f"must be one of {expected}"
    if "'AFG'" in expected:
        return "not an ISO 3166-1 alpha-3 country code in upper case (XXA stateless, XXX unknown)"
    return f"not one of the {expected.count(',') + 1} allowed codes"


def _context(error: ErrorDetails, key: str) -> str:
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    return str(ctx.get(key, ""))


def _scrubbed(error: ErrorDetails) -> str:
    """pydantic's message, unless it happens to contain the rejected input."""
    message = error["msg"]
    value = error["input"]
    if isinstance(value, str | bytes) and len(value) >= 3:
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        if text in message:
            return f"invalid value ({error['type'].replace('_', ' ')})"
    return message
