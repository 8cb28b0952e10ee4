"""The YAML rule language: shorthands, normalised form and where each rule and test came from."""

import pytest

from schemas.rules import AllOf, AnyOf, Comparison, NotOf
from services.domain.rules.errors import RuleError
from services.domain.rules.load import load_ruleset
from tests.unit.rules.builders import ruleset, ruleset_text

pytestmark = pytest.mark.unit

RULES = """
  - id: shorthand
    description: every shorthand
    priority: 5
    applies_to: arrival
    when:
      - protection.gbv_risk: true
      - legal_status: [asylum_seeker, stateless]
      - any:
          - demographics.age_band: {le: 12-17}
          - not: {field: documents, eq: valid}
    refer: {pathway: GBV_SUPPORT, sla_hours: 48}
"""


def test_shorthands_normalise_to_field_operator_value_tests() -> None:
    when = ruleset(RULES).rules[0].when
    assert isinstance(when, AllOf)
    gbv, status, either = when.all
    assert gbv == Comparison(field="protection.gbv_risk", op="eq", value=True)
    assert status == Comparison(field="legal_status", op="in", value=["asylum_seeker", "stateless"])
    assert isinstance(either, AnyOf) and isinstance(either.any[1], NotOf)
    assert either.any[0] == Comparison(field="demographics.age_band", op="le", value="12-17")


def test_the_loader_records_the_line_of_every_rule_and_test() -> None:
    text = ruleset_text(RULES)
    lines = text.splitlines()
    source = load_ruleset(text, "f.yaml").source
    assert source.rule_line(0) == lines.index("  - id: shorthand") + 1
    expected = [
        lines.index(line) + 1
        for line in (
            "      - protection.gbv_risk: true",
            "      - legal_status: [asylum_seeker, stateless]",
            "          - demographics.age_band: {le: 12-17}",
            "          - not: {field: documents, eq: valid}",
        )
    ]
    assert [source.test_line(0, i) for i in range(4)] == expected


def test_rules_run_in_priority_order_and_continue_by_default() -> None:
    rule = ruleset(RULES).rules[0]
    assert rule.continue_ is True and rule.fallback is False and rule.applies_to == ["arrival"]


def test_a_document_that_is_not_a_ruleset_is_refused_with_a_located_finding() -> None:
    with pytest.raises(RuleError) as caught:
        load_ruleset("id: x\nversion: one\n", "bad.yaml")
    messages = [f.render() for f in caught.value.findings]
    assert "bad.yaml:2: error: ruleset: version: Input should be a valid integer" in messages[0]


def test_invalid_yaml_is_refused_with_the_line_of_the_problem() -> None:
    with pytest.raises(RuleError) as caught:
        load_ruleset("id: x\nrules: [\n  - a\n", "broken.yaml")
    (finding,) = caught.value.findings
    assert finding.code == "yaml" and finding.file == "broken.yaml" and finding.line >= 2
