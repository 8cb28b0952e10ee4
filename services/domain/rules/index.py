"""Generated matchers: which rules (and safeguard premises) an event meets, as one integer.

Every rule is a bit of a mask. A rule's condition is cut into the parts that must all hold
(nested `all`s flattened, `not` pushed inwards). A part that reads one field is a property of
that field's value alone, so each field has a table from its value to a mask in which the bits
of the rules whose parts on that field fail are clear (a rule that does not test the field keeps
its bit for every value). Per event the generated function reads each field the rules test once,
looks its value up and ANDs the masks: the cost follows the number of fields the rules read, not
the number of rules.

A part that is an `any` across fields (`asylum_intent or fear_of_return`) gets a lane: an extra
bit, above the items' bits, that a field's mask clears when one of the part's branches on that
field holds. After the AND a lane still set means that `any` failed; lanes sit at the item's own
bit shifted by a multiple of the number of items, so shifting the mask down and clearing what
lands on the items drops the rules that needed them (and the lane bits with them). The rare
part that is neither (an `any` whose branch itself spans fields) is evaluated directly, for the
rules still in the running only.

Reading the fields is most of the cost. Pydantic models answer attribute reads through their
`__getattr__` hook, which makes each read several lookups, so the generated function takes each
object's `__dict__` once and reads the fields from it (an object without one, or without a
field there, is read through attributes instead, with the same tables). Fields with few values
(yes/no, short closed lists) of one object are looked up together: one `itemgetter` call gives
the key tuple for a table of their combinations, at most `GROUP_LIMIT` of them.

Tables of yes/no and closed-list fields are filled when compiled; others (codes, integers, lists,
looked up as tuples) on first sight of a value, up to `TABLE_LIMIT` values per field, beyond
which a value's mask is computed each time. A mask depends on the value only, so remembering it
is invisible in the results. The source is assembled from validated field paths and generated
names only; every constant lives in the namespace the code is compiled with.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import Any

from schemas.rules import AllOf, AnyOf, Comparison, Condition, NotOf
from services.domain.rules.conditions import Namespace, expression, fields_of, tests_of
from services.domain.rules.fields import FieldSpec, field_for

Matcher = Callable[[Any], list[int]]
Masker = Callable[[Any], int]

TABLE_LIMIT = 4096
"""Values remembered per field (and failed-lane combinations per matcher)."""

GROUP_LIMIT = 1024
"""Fields with few values (yes/no, short closed lists) are looked up together, one table for the
combinations of a group of them: at most this many, so each such table can hold every one."""

Part = tuple[Condition, bool]
"""A condition and whether it is negated."""


@dataclass(frozen=True, slots=True)
class Index:
    """A compiled matcher: `mask(data)` has bit i set when the item at `positions[i]` holds."""

    mask: Masker
    positions: tuple[int, ...]
    constant: int | None
    """The mask when it does not depend on the event (no item tests a field), else None."""

    def hits(self, mask: int) -> list[int]:
        """The positions of the set bits of `mask`, ascending."""
        positions, found = self.positions, []
        text = bin(mask)[:1:-1]  # least significant bit first
        bit = text.find("1")
        while bit >= 0:
            found.append(positions[bit])
            bit = text.find("1", bit + 1)
        return found

    def match(self, data: Any) -> list[int]:
        """The positions of the items `data` meets, ascending."""
        return self.hits(self.mask(data))


def parts(condition: Condition | None, negated: bool = False) -> list[Part]:
    """The parts that must all hold, with `not` pushed inwards through `all` and `any`."""
    if condition is None:
        return []
    if isinstance(condition, NotOf):
        return parts(condition.not_, not negated)
    if isinstance(condition, AllOf) and not negated:
        return [part for child in condition.all for part in parts(child)]
    if isinstance(condition, AnyOf) and negated:
        return [part for child in condition.any for part in parts(child, True)]
    return [(condition, negated)]


def branches(condition: Condition, negated: bool, event_type: str) -> list[Part] | None:
    """The branches of a disjunction, each reading at most one field; None if one reads more."""
    if len(fields_of(condition, event_type)) <= 1:
        return [(condition, negated)]
    if isinstance(condition, NotOf):
        return branches(condition.not_, not negated, event_type)
    if isinstance(condition, AnyOf) and not negated:
        children = condition.any
    elif isinstance(condition, AllOf) and negated:
        children = condition.all
    else:
        return None
    found: list[Part] = []
    for child in children:
        more = branches(child, negated, event_type)
        if more is None:
            return None
        found += more
    return found


def _text(part: Part, event_type: str, names: Namespace, value: str | None = None) -> str:
    condition, negated = part
    text = expression(condition, event_type, names, value)
    return f"(not {text})" if negated else text


def _constant(part: Part, event_type: str) -> bool:
    """A part reading no field of this event type folds to True or False."""
    holds: bool = eval(_text(part, event_type, Namespace()), {"__builtins__": {}})
    return holds


def _holds(part: Part, event_type: str) -> Callable[[Any], bool]:
    """A part on one field as a function of that field's value."""
    names = Namespace()
    source = f"lambda x: bool({_text(part, event_type, names, 'x')})"
    function: Callable[[Any], bool] = eval(source, dict(names.values))
    return function


class _Table(dict[Any, int]):
    """Value -> mask for one field; a value not seen yet is computed (and kept, up to a limit).

    For a code field (`str`), which rules only compare for equality, every value the rules do
    not name behaves alike: such values share one mask, computed once.
    """

    __slots__ = ("compute", "named", "unnamed")

    def __init__(
        self, compute: Callable[[Any], int], named: frozenset[object] | None = None
    ) -> None:
        super().__init__()
        self.compute = compute
        self.named = named
        self.unnamed = compute(_UNNAMED) if named is not None else 0

    def __missing__(self, value: Any) -> int:
        if self.named is not None and value is not None and value not in self.named:
            mask = self.unnamed
        else:
            mask = self.compute(value)
        if len(self) < TABLE_LIMIT:
            self[value] = mask
        return mask


_UNNAMED = object()
"""A value equal to no constant and not None: stands for every code no rule names."""


def _field_table(
    checks: list[tuple[int, bool, Callable[[Any], bool]]],
    full: int,
    spec: FieldSpec,
    tests: list[Comparison],
) -> tuple[_Table, bool]:
    """The table of one field, and whether it is looked up by presence (`value is None`).

    `checks` are (bit, required, test): a required item's bit is cleared when its test fails,
    a lane's bit when its branch holds.
    """
    cleared = [(full & ~bit, required, holds) for bit, required, holds in checks]

    def compute(value: Any) -> int:
        mask = full
        for keep, required, holds in cleared:
            if holds(value) is not required:
                mask &= keep
        return mask

    if spec.kind != "list" and all(test.op in ("exists", "missing") for test in tests):
        presence = _Table(lambda absent: compute(None if absent else _UNNAMED))
        presence[True], presence[False] = compute(None), compute(_UNNAMED)
        return presence, True
    named = frozenset(_constants(tests)) if spec.kind == "str" else None
    table = _Table(compute, named)
    domain = _domain(spec)
    for value in domain if len(domain) <= GROUP_LIMIT else ():
        table[value] = compute(value)
    return table, False


def _constants(tests: list[Comparison]) -> Iterable[object]:
    for test in tests:
        yield from test.value if isinstance(test.value, list) else (test.value,)


def _domain(spec: FieldSpec) -> tuple[object, ...]:
    """Every value of a yes/no or closed-list field (filled at compile time); else nothing."""
    missing = (None,) if spec.optional else ()
    if spec.kind == "bool":
        return (*missing, False, True)
    if spec.kind == "enum":
        return (*missing, *spec.values)
    return ()


class _Builder:
    """Sorts each item's parts into field tests, lanes and direct checks, then writes `mask`."""

    def __init__(self, event_type: str, width: int) -> None:
        self.event_type = event_type
        self.width = width
        self.lanes = 0
        self.layers: dict[int, int] = defaultdict(int)
        self.never = 0
        self.tests: dict[str, list[tuple[int, bool, Part]]] = defaultdict(list)
        self.direct: list[tuple[int, Part]] = []

    def add(self, bit: int, condition: Condition | None) -> None:
        for part in parts(condition):
            fields = fields_of(part[0], self.event_type)
            if not fields:
                if not _constant(part, self.event_type):
                    self.never |= bit
            elif len(fields) == 1:
                self.tests[next(iter(fields))].append((bit, True, part))
            else:
                self._disjunction(bit, part)

    def _disjunction(self, bit: int, part: Part) -> None:
        found = branches(*part, self.event_type)
        if found is None:
            self.direct.append((bit, part))
            return
        live: list[tuple[str, Part]] = []
        for branch in found:
            fields = fields_of(branch[0], self.event_type)
            if fields:
                live.append((next(iter(fields)), branch))
            elif _constant(branch, self.event_type):
                return  # a branch that always holds: the part always holds
        if not live:
            self.never |= bit
            return
        # The item's k-th lane is bit k * width + (the item's bit): shifting the mask right by
        # k * width puts every item's k-th lane over the item itself.
        self.layers[bit] += 1
        lane = bit << (self.width * self.layers[bit])
        self.lanes |= lane
        for field, branch in live:
            self.tests[field].append((lane, False, branch))

    def build(self, positions: tuple[int, ...]) -> Index:
        items = (1 << self.width) - 1
        lanes = self.lanes
        names = Namespace()
        # The items that can never hold are cleared; the lanes are left to the field tables (a
        # lane cleared here would read as an `any` that held).
        constant = (
            [names.add((items & ~self.never) | lanes)] if self.never or not self.tests else []
        )
        fast: list[str] = []
        slow: list[str] = []
        small: list[tuple[str, _Table, int]] = []
        for path in sorted(self.tests):
            table, presence, size = self._table(path, items | lanes)
            if size and not presence:
                small.append((path, table, size))
                continue
            name = names.add(table)
            shape = (
                "({} is None)" if presence else "tuple({})" if self._kind(path) == "list" else "{}"
            )
            fast.append(f"{name}[{shape.format(_item(path))}]")
            slow.append(f"{name}[{shape.format('d.' + path)}]")
        for group in _groups(small):
            paths = [path for path, _, _ in group]
            if len(group) == 1:
                name = names.add(group[0][1])
                fast.append(f"{name}[{_item(paths[0])}]")
                slow.append(f"{name}[d.{paths[0]}]")
                continue
            # One C call reads the group's fields and returns the key tuple.
            joint = names.add(_joint([table for _, table, _ in group]))
            parent = _parent(paths[0])
            read = names.add(itemgetter(*(path.rpartition(".")[2] for path in paths)))
            fast.append(f"{joint}[{read}({_local(parent)})]")
            slow.append(f"{joint}[{names.add(attrgetter(*paths))}(d)]")
        parents = sorted({a for path in self.tests for a in _ancestors(path)}, key=len)
        body = (
            [f"    m = {' & '.join(constant)}"]
            if not self.tests
            else [
                "    try:",
                "        v = d.__dict__",
                *(f"        {_local(parent)} = {_item(parent)}.__dict__" for parent in parents),
                f"        m = {' & '.join(constant + fast)}",
                "    except (AttributeError, KeyError, TypeError):",
                f"        m = {' & '.join(constant + slow)}",
            ]
        )
        if self.lanes:
            shifts = range(self.width, self.width * (max(self.layers.values()) + 1), self.width)
            failed = " | ".join(f"m >> {shift}" for shift in shifts)
            body.append(f"    m = (m & {names.add(items)}) & ~({failed})")
        for bit, part in self.direct:
            body.append(
                f"    if m & {names.add(bit)} and not {_text(part, self.event_type, names)}:"
            )
            body.append(f"        m ^= {names.add(bit)}")
        source = "\n".join(["def mask(d):", *body, "    return m"])
        namespace: dict[str, Any] = dict(names.values)
        exec(compile(source, "<mixflow-rules>", "exec"), namespace)
        fixed = None if self.tests or self.direct else items & ~self.never
        return Index(namespace["mask"], positions, fixed)

    def _kind(self, path: str) -> str:
        spec = field_for(self.event_type, path)
        assert spec is not None  # fields_of keeps only the fields this event type has
        return spec.kind

    def _table(self, path: str, full: int) -> tuple["_Table", bool, int]:
        """The field's table, whether it is keyed by presence, and its size if it is complete."""
        spec = field_for(self.event_type, path)
        assert spec is not None  # fields_of keeps only the fields this event type has
        checks = [
            (bit, required, _holds(part, self.event_type))
            for bit, required, part in self.tests[path]
        ]
        tests = [
            test
            for _, _, part in self.tests[path]
            for test in tests_of(part[0])
            if test.field == path
        ]
        table, presence = _field_table(checks, full, spec, tests)
        size = 2 if presence else len(_domain(spec))
        return table, presence, size if size <= GROUP_LIMIT else 0


def _groups(fields: list[tuple[str, "_Table", int]]) -> list[list[tuple[str, "_Table", int]]]:
    """Fields with few values, by sub-object, packed (largest first, into the first group with
    room) so that each group has at most GROUP_LIMIT combinations."""
    groups: list[tuple[str, list[tuple[str, _Table, int]], list[int]]] = []
    for field in sorted(fields, key=lambda field: (_parent(field[0]), -field[2], field[0])):
        room = next(
            (
                group
                for group in groups
                if group[0] == _parent(field[0]) and group[2][0] * field[2] <= GROUP_LIMIT
            ),
            None,
        )
        if room is None:
            room = (_parent(field[0]), [], [1])
            groups.append(room)
        room[1].append(field)
        room[2][0] *= field[2]
    return [members for _, members, _ in groups]


def _joint(tables: list["_Table"]) -> "_Table":
    """A table keyed by the values of several fields: the AND of their masks."""

    def compute(values: tuple[Any, ...]) -> int:
        mask = -1
        for table, value in zip(tables, values, strict=True):
            mask &= table[value]
        return mask

    return _Table(compute)


def _parent(path: str) -> str:
    """The sub-object a field lives in (`protection` for `protection.gbv_risk`), or ""."""
    return path.rpartition(".")[0]


def _ancestors(path: str) -> list[str]:
    """The sub-objects above a field, outermost first (`a`, `a.b` for `a.b.c`)."""
    parts = path.split(".")[:-1]
    return [".".join(parts[: n + 1]) for n in range(len(parts))]


def _local(parent: str) -> str:
    """The local holding a sub-object's attributes (the event's own are in `v`)."""
    return "_" + parent.replace(".", "_") if parent else "v"


def _item(path: str) -> str:
    """The fast read of a field: a key of its object's `__dict__`."""
    parent, _, leaf = path.rpartition(".")
    return f"{_local(parent)}[{leaf!r}]"


def build_index(items: list[tuple[int, Condition | None]], event_type: str) -> Index:
    """Compile (position, condition) pairs into a matcher for one event type."""
    ordered = sorted(items, key=lambda item: item[0])
    builder = _Builder(event_type, len(ordered))
    for bit, (_, condition) in enumerate(ordered):
        builder.add(1 << bit, condition)
    return builder.build(tuple(position for position, _ in ordered))
