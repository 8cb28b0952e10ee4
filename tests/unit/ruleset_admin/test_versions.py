"""The version lifecycle: four-eyes approval, publication and rollback checks."""

from datetime import UTC, datetime

import pytest

from schemas.rules import Finding
from services.domain.rules import load_ruleset
from services.domain.ruleset_admin import (
    Refused,
    RulesetVersion,
    check_approvable,
    check_publishable,
    check_restorable,
    next_version_number,
    same_rules,
)
from tests.unit.ruleset_admin.variants import DEFAULT_YAML

AT = datetime(2026, 5, 1, tzinfo=UTC)
ERROR = Finding(severity="error", code="x", file="f.yaml", line=3, message="broken")


def draft(author: str = "ana") -> RulesetVersion:
    ruleset = load_ruleset(DEFAULT_YAML).ruleset
    return RulesetVersion(ruleset, DEFAULT_YAML, "f.yaml", "sha256:0", "draft", author, "", AT)


def test_with_four_eyes_the_author_cannot_approve_their_own_draft() -> None:
    with pytest.raises(Refused) as refused:
        check_approvable(draft("ana"), "ana", [], four_eyes=True)
    assert refused.value.kind == "forbidden"
    check_approvable(draft("ana"), "ben", [], four_eyes=True)


def test_without_four_eyes_the_author_may_approve_and_publish_a_draft() -> None:
    check_approvable(draft("ana"), "ana", [], four_eyes=False)
    check_publishable(draft("ana"), [], four_eyes=False)


def test_with_four_eyes_only_an_approved_version_is_published() -> None:
    with pytest.raises(Refused, match="approved by a second operator"):
        check_publishable(draft(), [], four_eyes=True)
    check_publishable(draft().approved("ben", AT), [], four_eyes=True)


def test_a_version_that_fails_the_linter_is_neither_approved_nor_published() -> None:
    with pytest.raises(Refused) as refused:
        check_approvable(draft(), "ben", [ERROR], four_eyes=True)
    assert refused.value.kind == "invalid" and refused.value.findings == (ERROR,)
    with pytest.raises(Refused):
        check_publishable(draft().approved("ben", AT), [ERROR], four_eyes=True)


def test_only_a_draft_is_approved_and_a_published_version_is_not_published_twice() -> None:
    approved = draft().approved("ben", AT)
    with pytest.raises(Refused, match="not a draft"):
        check_approvable(approved, "cleo", [], four_eyes=True)
    with pytest.raises(Refused, match="roll back"):
        check_publishable(approved.activated("ben", AT), [], four_eyes=True)


def test_a_rollback_restores_only_a_published_version_whose_rules_are_not_in_force() -> None:
    active = draft().approved("ben", AT).activated("ben", AT)
    with pytest.raises(Refused, match="never published"):
        check_restorable(draft(), active)
    with pytest.raises(Refused, match="already has these rules"):
        check_restorable(active.retired(AT), active)
    check_restorable(active.retired(AT), None)


def test_version_numbers_follow_every_stored_one_and_never_go_below_the_file() -> None:
    assert next_version_number(None, 1) == 1
    assert next_version_number(4, 1) == 5
    assert next_version_number(4, 9) == 9


def test_rulesets_that_differ_only_in_version_have_the_same_rules() -> None:
    ruleset = load_ruleset(DEFAULT_YAML).ruleset
    assert same_rules(ruleset, ruleset.model_copy(update={"version": 7}))
    other = ruleset.model_copy(update={"rules": ruleset.rules[1:]})
    assert not same_rules(ruleset, other)
