"""The direct-identifier guard: refuse any event value that looks like it names a person.

PRODUCT.md §3: events carry no names, document numbers, phone numbers, e-mail or bank details and
no exact dates of birth. Most fields are closed codes, so the schema already rejects such values;
the guard exists so that the publisher is told *what* leaked (`data.person_ref: looks like an
e-mail address`) and so that the few open-shaped strings (envelope `id`, `source`, `admin1`,
unknown extension attributes) are covered too. It names the path and the kind of identifier,
never the value.

Speed: a regex pass over the whole JSON text costs as much as parsing it, so valid events are
checked field by field instead, and only the fields whose type lets an identifier through: the
few open-shaped strings (`open_paths`, derived once per model from its annotations). Rejected
events have each rejected value classified as the error is built (`identify`).

Boundaries: this is a heuristic for structured fields, not a PII detector for free text (the
contracts allow no free text). Dates count only inside `data`; a digits-only envelope `id` is
taken for a sequence number, not a phone number, unless it starts with `+` or `00`.
"""

import re
from collections.abc import Callable, Iterator
from functools import cache, lru_cache
from operator import attrgetter
from types import UnionType
from typing import Annotated, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from schemas.errors import Problem

REASONS: dict[str, str] = {
    "email": "looks like an e-mail address (direct identifier)",
    "iban": "looks like a bank account number (IBAN) (direct identifier)",
    "date": "looks like an exact date, e.g. of birth (direct identifier); use an age band",
    "phone": "looks like a phone number (direct identifier)",
    "document": "looks like a passport or identity-document number (direct identifier)",
    "name": "looks like a personal name (direct identifier); a code is expected here",
}

_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_YEAR = r"(?:19|20)[0-9]{2}"
_WORD = r"[^\W\d_]+(?:['\-][^\W\d_]+)*"
_EMAIL = re.compile(r"[\w.%+\-]@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# Used with `fullmatch` on a whole value or a whole `:`/`/`/space-separated segment of one, so a
# UUID or a hex token is never cut into "digit runs"; an anchored match also fails fast.
_WHOLE = re.compile(
    rf"(?P<iban>[A-Z]{{2}}[0-9]{{2}}(?: ?[A-Z0-9]{{4}}){{2,7}}(?: ?[A-Z0-9]{{1,3}})?)"
    rf"|(?P<date>{_YEAR}[-/.]{_MONTH}[-/.]{_DAY}|{_DAY}[-/.]{_MONTH}[-/.]{_YEAR})"
    rf"|(?P<phone>\+?\(?[0-9]{{1,4}}\)?(?:[ .\-]?[0-9]){{6,14}})"
    rf"|(?P<document>[A-Z]{{1,2}}[0-9]{{6,9}}[A-Z]?)"
    rf"|(?P<name>[A-ZÀ-ÖØ-Þ]{_WORD}(?: {_WORD})+)"
)

FieldPath = tuple[str, ...]

# Patterns that admit nothing but a prefixed hex token or a 1-4 digit code.
_SAFE_PATTERNS = frozenset(
    {r"^p_[0-9a-f]{32}$", r"^h_[0-9a-f]{32}$", r"^r_[0-9a-f]{32}$", r"^[0-9]{1,4}$"}
)


def identify(path: str, value: object) -> str | None:
    """The reason `value` at `path` looks like a direct identifier, or None.

    Containers (the value of an unknown extension attribute may be one) are searched too.
    """
    for _, reason in _walk(path, value):
        return reason
    return None


def scan(path: str, value: object) -> list[Problem]:
    """Every direct identifier in a decoded JSON value, one problem per field."""
    return [
        Problem(path=where, reason=reason, kind="direct_identifier")
        for where, reason in _walk(path, value)
    ]


def guard(model: BaseModel) -> list[Problem]:
    """Direct identifiers in the open-shaped string fields of a validated contract model."""
    problems: list[Problem] = []
    for dotted, get, path in _accessors(type(model)):
        if get is None:
            found = list(_items(model, path, ""))
        else:
            try:
                value = get(model)
            except AttributeError:  # an optional part on the way is None
                continue
            found = [(dotted, value)] if isinstance(value, str) else []
        for where, text in found:
            reason = _classify(where, text) if where in _UNIQUE else _classify_cached(where, text)
            if reason is not None:
                problems.append(Problem(path=where, reason=reason, kind="direct_identifier"))
    return problems


# Event ids differ in every event: caching them would only evict the values that do repeat.
_UNIQUE = frozenset({"id", "ce_id"})


@cache
def _accessors(
    model: type[BaseModel],
) -> tuple[tuple[str, Callable[[object], object] | None, FieldPath], ...]:
    """Per open path: its dotted name and a C-level getter (None for paths through lists)."""
    return tuple(
        (".".join(path), None if "*" in path else attrgetter(".".join(path)), path)
        for path in open_paths(model)
    )


@cache
def open_paths(model: type[BaseModel]) -> tuple[FieldPath, ...]:
    """Paths of the string fields a value could hide an identifier in (`*` = every list item).

    Derived from the type annotations, so a field added later is guarded without anyone
    remembering to: closed `Literal`s and the token patterns in `_SAFE_PATTERNS` are skipped.
    """
    return tuple(
        (name, *tail)
        for name, field in model.model_fields.items()
        for tail in _open(field.annotation, list(field.metadata))
    )


def _open(annotation: object, metadata: list[object]) -> list[FieldPath]:
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Annotated:
        return _open(args[0], [*metadata, *annotation.__metadata__])  # type: ignore[attr-defined]
    if origin is Literal:
        return []
    if origin in (Union, UnionType):
        return [path for arg in args for path in _open(arg, metadata)]
    if origin in (list, tuple, frozenset, set):
        return [("*", *path) for path in _open(args[0], [])]
    if annotation is str:
        patterns = {getattr(m, "pattern", None) for m in metadata} - {None}
        return [] if patterns and patterns <= _SAFE_PATTERNS else [()]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(open_paths(annotation))
    return []


def _items(obj: object, path: FieldPath, where: str) -> Iterator[tuple[str, str]]:
    if not path:
        if isinstance(obj, str):
            yield where, obj
        return
    head, rest = path[0], path[1:]
    if head == "*":
        if isinstance(obj, list | tuple):
            for index, item in enumerate(obj):
                yield from _items(item, rest, f"{where}[{index}]")
        return
    value = getattr(obj, head, None)
    if value is not None:
        yield from _items(value, rest, f"{where}.{head}" if where else head)


def _walk(path: str, value: object) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        reason = _classify(path, value)
        if reason is not None:
            yield path, reason
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(f"{path}.{key}" if path else str(key), item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(f"{path}[{index}]", item)


def _classify(path: str, value: str) -> str | None:
    if "@" in value and _EMAIL.search(value):
        return REASONS["email"]
    if " " not in value:
        # Without a space no kind but e-mail is longer than 35 characters (a UUID is 36), and
        # every kind but a name has at least six digits: skip the regex in those cases.
        if len(value) > _LONGEST_UNSPACED and ":" not in value and "/" not in value:
            return None
        encoded = value.encode()
        if len(encoded) - len(encoded.translate(None, b"0123456789")) < 6:
            return None
    in_data = path == "data" or path.startswith(("data.", "data["))
    for candidate in _candidates(value):
        match = _WHOLE.fullmatch(candidate)
        if match is None:
            continue
        kind = match.lastgroup or ""
        if kind == "date" and not in_data:
            continue
        if kind == "phone" and path in ("id", "ce_id") and not candidate.startswith(("+", "00")):
            continue
        return REASONS[kind]
    return None


_LONGEST_UNSPACED = 35  # an IBAN or a phone number with separators, at most

# Sources, agencies and admin1 codes repeat from event to event; most lookups are hits.
_classify_cached = lru_cache(maxsize=8192)(_classify)


def _candidates(value: str) -> list[str]:
    """The value, then its `:`/`/` segments (URIs), then its words (a document inside text)."""
    candidates = [value]
    if ":" in value or "/" in value:
        candidates += value.replace("/", ":").split(":")
    if " " in value:
        candidates += value.split()
    return candidates
