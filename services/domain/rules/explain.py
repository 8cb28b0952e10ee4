"""Which conditions made a rule match: the `matched` lines a decision cites.

For a rule that matched, every test under `all` held, so its lines are known in advance; only an
`any` needs the event to say which branches held. `not (...)` is cited whole. Rules without an
`any` therefore cost nothing to explain at run time.
"""

from collections.abc import Callable
from typing import Any

from schemas.rules import AllOf, AnyOf, Comparison, Condition, NotOf
from services.domain.rules.conditions import predicate, render, render_test

Explainer = Callable[[Any], tuple[str, ...]]


def needs_event(condition: Condition | None) -> bool:
    """True when the matched lines depend on the event (an `any` outside a `not`)."""
    if condition is None or isinstance(condition, Comparison | NotOf):
        return False
    if isinstance(condition, AnyOf):
        return True
    return any(needs_event(part) for part in condition.all)


def static_lines(condition: Condition | None) -> tuple[str, ...]:
    """The matched lines of a rule whose explanation does not depend on the event."""
    if condition is None:
        return ("always",)
    if isinstance(condition, Comparison):
        return (render_test(condition),)
    if isinstance(condition, AllOf):
        return tuple(line for part in condition.all for line in static_lines(part))
    return (render(condition),)


def explainer(condition: Condition, event_type: str) -> Explainer:
    """A function giving the matched lines of `condition` for an event it matched."""
    if isinstance(condition, Comparison | NotOf):
        lines = static_lines(condition)
        return lambda data: lines
    if isinstance(condition, AllOf):
        parts = [explainer(part, event_type) for part in condition.all]
        return lambda data: tuple(line for part in parts for line in part(data))
    branches = [
        (predicate(part, event_type), explainer(part, event_type)) for part in condition.any
    ]
    return lambda data: tuple(
        line for holds, explain in branches if holds(data) for line in explain(data)
    )
