"""Which conditions made a rule match: the `matched` lines a decision cites.

For a rule that matched, every test under `all` held, so its lines are known in advance; only an
`any` needs the event to say which branches held. `not (...)` is cited whole. Rules without an
`any` therefore cost nothing to explain at run time.

The lines are written as a function of which `any` branches held (`branch_lines`). The engine
indexes those branches next to the rules, so an event's signature already says which held: a
decision's explanation is fixed by its signature and is worked out once per signature, not
once per event.
"""

from collections.abc import Callable

from schemas.rules import AllOf, AnyOf, Comparison, Condition, NotOf
from services.domain.rules.conditions import render, render_test

Held = Callable[[int], bool]
"""Whether the `any` branch with this number held for the event."""
Lines = Callable[[Held], tuple[str, ...]]
"""The matched lines of a condition, given which of its numbered `any` branches held."""


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


def branch_lines(condition: Condition, first: int = 0) -> tuple[tuple[Condition, ...], Lines]:
    """The `any` branches the lines of `condition` depend on, numbered from `first` in the
    order they are written, and the lines as a function of which of them held."""
    branches: list[Condition] = []
    lines = _lines(condition, first, branches)
    return tuple(branches), lines


def _lines(condition: Condition, first: int, branches: list[Condition]) -> Lines:
    if isinstance(condition, Comparison | NotOf):
        fixed = static_lines(condition)
        return lambda held: fixed
    if isinstance(condition, AllOf):
        parts = [_lines(part, first, branches) for part in condition.all]
        return lambda held: tuple(line for part in parts for line in part(held))
    numbered: list[tuple[int, Lines]] = []
    for branch in condition.any:
        number = first + len(branches)
        branches.append(branch)
        numbered.append((number, _lines(branch, first, branches)))
    return lambda held: tuple(
        line for number, part in numbered if held(number) for line in part(held)
    )
