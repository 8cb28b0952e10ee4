"""The semantic diff an operator reviews: rules added, removed and changed per field."""

from services.domain.rules import load_ruleset
from services.domain.ruleset_admin import diff_rulesets
from tests.unit.ruleset_admin.variants import DEFAULT_YAML, without_rule


def test_identical_rulesets_have_no_differences_even_in_another_version() -> None:
    ruleset = load_ruleset(DEFAULT_YAML).ruleset
    result = diff_rulesets(ruleset, ruleset.model_copy(update={"version": 2}))
    assert result.empty and result.lines() == ["no differences"]


def test_a_removed_rule_and_an_added_rule_are_named_by_id() -> None:
    before = load_ruleset(DEFAULT_YAML).ruleset
    edited = without_rule(DEFAULT_YAML, "skills-recognition").replace(
        "id: smuggled-migrants", "id: smuggling-support"
    )
    result = diff_rulesets(before, load_ruleset(edited).ruleset)
    assert result.removed == ("skills-recognition", "smuggled-migrants")
    assert result.added == ("smuggling-support",)
    assert result.changed == ()


def test_a_changed_rule_lists_each_changed_field_with_before_and_after() -> None:
    before = load_ruleset(DEFAULT_YAML).ruleset
    edited = DEFAULT_YAML.replace(
        "{pathway: SKILLS_RECOGNITION, urgency: normal, sla_hours: 720}",
        "{pathway: SKILLS_RECOGNITION, urgency: high, sla_hours: 72}",
    ).replace("priority: 61", "priority: 65")
    result = diff_rulesets(before, load_ruleset(edited).ruleset)
    (change,) = result.changed
    assert change.rule_id == "skills-recognition"
    assert [c.field for c in change.changes] == ["priority", "refer"]
    assert change.changes[0].before == 61 and change.changes[0].after == 65
    assert change.changes[1].after[0]["urgency"] == "high"
    assert any("~ rule skills-recognition: priority: 61 -> 65" in line for line in result.lines())


def test_the_short_and_long_forms_of_a_condition_are_the_same_rule() -> None:
    before = load_ruleset(DEFAULT_YAML).ruleset
    edited = DEFAULT_YAML.replace(
        "- livelihood.education: tertiary",
        "- {field: livelihood.education, op: eq, value: tertiary}",
    )
    assert edited != DEFAULT_YAML
    assert diff_rulesets(before, load_ruleset(edited).ruleset).empty


def test_against_nothing_every_rule_is_added() -> None:
    ruleset = load_ruleset(DEFAULT_YAML).ruleset
    result = diff_rulesets(None, ruleset)
    assert result.before_version is None
    assert len(result.added) == len(ruleset.rules)
