"""The semantic difference between two rulesets: what an operator reviews before approving.

Rules are matched by id, so moving a rule in the file is not a change; a rule whose fields
differ is listed with each field's old and new value in canonical form (conditions normalised,
as they are digested), so `{legal_status: stateless}` and its long form compare equal.
"""

from typing import Any

from pydantic import BaseModel, ConfigDict

from schemas.rules import Rule, Ruleset

RULE_FIELDS = ("description", "priority", "applies_to", "when", "refer", "continue", "fallback")


class FieldChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    field: str
    before: Any
    after: Any


class RuleChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule_id: str
    changes: tuple[FieldChange, ...]


class RulesetDiff(BaseModel):
    """`before` is the version compared against (usually the active one), `after` the candidate."""

    model_config = ConfigDict(frozen=True)

    ruleset_id: str
    before_version: int | None
    after_version: int
    metadata: tuple[FieldChange, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[RuleChange, ...]

    @property
    def empty(self) -> bool:
        return not (self.metadata or self.added or self.removed or self.changed)

    def lines(self) -> list[str]:
        """A plain-text rendering, one change per line, for terminals and review comments."""
        out = [f"metadata.{c.field}: {c.before!r} -> {c.after!r}" for c in self.metadata]
        out += [f"+ rule {rule_id}" for rule_id in self.added]
        out += [f"- rule {rule_id}" for rule_id in self.removed]
        for rule in self.changed:
            out += [
                f"~ rule {rule.rule_id}: {c.field}: {c.before} -> {c.after}" for c in rule.changes
            ]
        return out or ["no differences"]


def _fields(rule: Rule) -> dict[str, Any]:
    return rule.model_dump(mode="json", by_alias=True)


def _changes(
    before: dict[str, Any], after: dict[str, Any], names: tuple[str, ...]
) -> tuple[FieldChange, ...]:
    return tuple(
        FieldChange(field=name, before=before.get(name), after=after.get(name))
        for name in names
        if before.get(name) != after.get(name)
    )


def diff_rulesets(before: Ruleset | None, after: Ruleset) -> RulesetDiff:
    """What `after` adds, removes and changes relative to `before` (None: everything is new)."""
    old = {rule.id: _fields(rule) for rule in before.rules} if before else {}
    new = {rule.id: _fields(rule) for rule in after.rules}
    meta_before = before.metadata.model_dump(mode="json") if before else {}
    meta_after = after.metadata.model_dump(mode="json")
    changed = []
    for rule_id in (rule_id for rule_id in new if rule_id in old):
        fields = _changes(old[rule_id], new[rule_id], RULE_FIELDS)
        if fields:
            changed.append(RuleChange(rule_id=rule_id, changes=fields))
    return RulesetDiff(
        ruleset_id=after.id,
        before_version=before.version if before else None,
        after_version=after.version,
        metadata=_changes(meta_before, meta_after, tuple(meta_after)),
        added=tuple(rule_id for rule_id in new if rule_id not in old),
        removed=tuple(rule_id for rule_id in old if rule_id not in new),
        changed=tuple(changed),
    )
