"""The linter: vocabulary, dead rules and every safeguard, each finding at file:line."""

from pathlib import Path

import pytest

from schemas.rules import Finding
from services.domain.pathways import PATHWAYS
from services.domain.rules.lint import lint_text
from services.domain.rules.load import load_ruleset
from tests.unit.rules.builders import ruleset_text

pytestmark = pytest.mark.unit

DEFAULT = Path(__file__).resolve().parents[3] / "routing_rules" / "default.yaml"

SAFE = """
  - id: asylum
    description: asylum
    priority: 1
    applies_to: [arrival, return]
    when: {any: [{protection.asylum_intent: true}, {protection.fear_of_return: true}]}
    refer: {pathway: ASYLUM_PROCEDURE, urgency: high, sla_hours: 72}
  - id: child
    description: child
    priority: 2
    applies_to: [arrival, return]
    when:
      - demographics.age_band: {le: 12-17}
      - any: [{protection.unaccompanied_child: true}, {protection.separated_child: true}]
    refer: {pathway: CHILD_PROTECTION, urgency: immediate, sla_hours: 24}
  - id: trafficking
    description: trafficking
    priority: 3
    applies_to: [arrival, return]
    when:
      any:
        - protection.trafficking_indicators: {exists: true}
        - protection.trafficking_victim: true
    refer: {pathway: ANTI_TRAFFICKING, urgency: immediate, sla_hours: 24}
  - id: medical
    description: medical
    priority: 4
    applies_to: [arrival, return]
    when: {protection.medical_need: urgent}
    refer: {pathway: MEDICAL_CARE, urgency: immediate, sla_hours: 4}
"""


def lint_rules(rules: str, *, fallback: bool = True) -> list[Finding]:
    return lint_text(ruleset_text(rules, fallback=fallback), "rules/test.yaml")


def errors(findings: list[Finding]) -> list[str]:
    return [f.render() for f in findings if f.severity == "error"]


def test_the_default_ruleset_passes_with_no_findings() -> None:
    assert lint_text(DEFAULT.read_text(), str(DEFAULT)) == []


def test_the_default_ruleset_refers_to_every_pathway_of_the_taxonomy() -> None:
    ruleset = load_ruleset(DEFAULT.read_text()).ruleset
    referred = {target.pathway for rule in ruleset.rules for target in rule.refer}
    assert referred == set(PATHWAYS)


def test_a_ruleset_keeping_every_safeguard_passes() -> None:
    assert errors(lint_rules(SAFE)) == []


def test_an_unknown_field_is_reported_at_its_line_with_a_suggestion() -> None:
    rules = (
        SAFE
        + """
  - id: typo
    description: typo
    priority: 5
    applies_to: arrival
    when:
      protection.gbv_risks: true
    refer: {pathway: GBV_SUPPORT, sla_hours: 48}
"""
    )
    found = errors(lint_rules(rules))
    line = ruleset_text(rules).splitlines().index("      protection.gbv_risks: true") + 1
    assert found == [
        f"rules/test.yaml:{line}: error: rule typo: field protection.gbv_risks does not exist on "
        "arrival events; did you mean protection.gbv_risk?"
    ]


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (
            "{protection.medical_need: urgnet}",
            "'urgnet' is not a valid value; use one of none, chronic, urgent",
        ),
        ("{protection.gbv_risk: 'yes'}", "'yes' is not true or false"),
        (
            "{protection.gbv_risk: {lt: true}}",
            "lt does not apply to protection.gbv_risk (a yes/no field)",
        ),
        ("{months_abroad: {gt: 900}}", "900 is outside 0..600"),
        ("{legal_status: {in: refugee}}", "in on legal_status takes a non-empty list of values"),
        ("{person_ref: p_00000000000000000000000000000000}", "rules must not single people out"),
    ],
)
def test_wrong_values_and_operators_are_explained(when: str, expected: str) -> None:
    rules = (
        SAFE
        + f"""
  - id: wrong
    description: wrong
    priority: 5
    applies_to: [arrival, return]
    when: {when}
    refer: {{pathway: GBV_SUPPORT, sla_hours: 48}}
"""
    )
    found = errors(lint_rules(rules))
    assert len(found) == 1 and expected in found[0] and "rule wrong" in found[0]


def test_an_unknown_pathway_and_a_duplicate_id_are_errors() -> None:
    rules = (
        SAFE
        + """
  - id: medical
    description: again
    priority: 5
    applies_to: arrival
    refer: {pathway: ASYLUM, sla_hours: 48}
"""
    )
    found = errors(lint_rules(rules))
    assert any("rule id medical is already used at line" in f for f in found)
    assert any(
        "pathway ASYLUM is not in the taxonomy; did you mean ASYLUM_PROCEDURE?" in f for f in found
    )


def test_invalid_yaml_shape_is_reported_with_its_line() -> None:
    text = ruleset_text(
        SAFE
        + """
  - id: broken
    description: broken
    priority: 5
    applies_to: arrival
    when: {legal_status: stateless, documents: none}
    refer: {pathway: GBV_SUPPORT, sla_hours: 48}
"""
    )
    (finding,) = lint_text(text, "x.yaml")
    assert (
        finding.line
        == text.splitlines().index("    when: {legal_status: stateless, documents: none}") + 1
    )
    assert "wrap several in `all:` or `any:`" in finding.message and finding.rule_id == "broken"


def test_contradictory_conditions_can_never_match() -> None:
    rules = (
        SAFE
        + """
  - id: impossible
    description: impossible
    priority: 5
    applies_to: arrival
    when: [{protection.gbv_risk: true}, {protection.gbv_risk: false}]
    refer: {pathway: GBV_SUPPORT, sla_hours: 48}
"""
    )
    (found,) = errors(lint_rules(rules))
    assert "rule impossible: can never match: its conditions contradict each other" in found


def test_a_rule_behind_a_stopping_rule_that_always_fires_is_shadowed() -> None:
    rules = (
        SAFE
        + """
  - id: stopper
    description: stops for every smuggled arrival
    priority: 5
    applies_to: arrival
    when: {journey.smuggler_involved: true}
    refer: {pathway: SMUGGLING_RESPONSE, sla_hours: 72}
    continue: false
  - id: hidden
    description: never reached
    priority: 6
    applies_to: arrival
    when: [{journey.smuggler_involved: true}, {protection.gbv_risk: true}]
    refer: {pathway: GBV_SUPPORT, sla_hours: 48}
"""
    )
    found = errors(lint_rules(rules))
    assert any("rule hidden: is never reached" in f and "stopper (line" in f for f in found)


def _without(rule_id: str) -> str:
    blocks = SAFE.split("\n  - id: ")
    return "\n  - id: ".join(b for b in blocks if not b.startswith(rule_id + "\n"))


@pytest.mark.parametrize(
    ("rules", "safeguard", "hint"),
    [
        (_without("asylum"), "asylum_access", "gets no ASYLUM_PROCEDURE referral"),
        (_without("child"), "child_protection", "protection.unaccompanied_child = True"),
        (
            _without("trafficking"),
            "anti_trafficking",
            "protection.trafficking_indicators = ['deception']",
        ),
        (_without("medical"), "urgent_medical_care", "protection.medical_need = urgent"),
        (
            SAFE.replace("urgency: immediate, sla_hours: 4", "urgency: high, sla_hours: 4"),
            "urgent_medical_care",
            "gets MEDICAL_CARE with urgency high only; "
            "give MEDICAL_CARE urgency immediate in rule medical",
        ),
        (
            SAFE
            + """
  - id: papers
    description: consular contact for anyone without documents
    priority: 5
    applies_to: arrival
    when: {documents: none}
    refer: {pathway: CONSULAR_DOCUMENTATION, sla_hours: 336}
""",
            "no_consular_contact",
            "is referred to CONSULAR_DOCUMENTATION by rule papers",
        ),
    ],
)
def test_a_ruleset_breaking_a_safeguard_is_rejected_with_a_counterexample(
    rules: str, safeguard: str, hint: str
) -> None:
    found = [f for f in errors(lint_rules(rules)) if f"breaks safeguard {safeguard}" in f]
    assert found and any(hint in f for f in found), errors(lint_rules(rules))
    assert all(f.startswith("rules/test.yaml:") for f in found)


def test_a_ruleset_where_some_event_gets_no_referral_is_rejected() -> None:
    found = errors(lint_rules(SAFE, fallback=False))
    assert any(
        "breaks safeguard at_least_one_referral" in f and "add a `fallback: true` rule" in f
        for f in found
    )


def test_a_stopping_rule_that_cuts_off_asylum_referrals_breaks_the_safeguard() -> None:
    rules = (
        """
  - id: early-exit
    description: stops for everyone at an airport
    priority: 0
    applies_to: arrival
    when: {location.site_type: airport}
    refer: {pathway: INFORMATION_COUNSELLING, sla_hours: 168}
    continue: false
"""
        + SAFE
    )
    found = [f for f in errors(lint_rules(rules)) if "breaks safeguard asylum_access" in f]
    assert found and "location.site_type = airport" in found[0]


def test_rules_check_prints_located_findings_and_fails_on_errors(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from services.cli import app

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        ruleset_text(SAFE.replace("protection.medical_need: urgent", "protection.medical: urgent"))
    )
    result = CliRunner().invoke(app, ["rules", "check", str(DEFAULT), str(tmp_path)])
    assert result.exit_code == 1
    assert f"{bad}:" in result.stdout and "field protection.medical does not exist" in result.stdout
    assert CliRunner().invoke(app, ["rules", "check", str(DEFAULT)]).exit_code == 0
