"""Impact analysis on generated events: changed decisions, pathways gained and lost, safeguards."""

from datetime import UTC, datetime

from services.domain.rules import compile_ruleset, load_ruleset
from services.domain.ruleset_admin import Simulation, simulate
from tests.unit.ruleset_admin.variants import DEFAULT_YAML, generated, parsed, without_rule

EVENTS = parsed(generated(3000, seed=3))


def compiled(text: str, version: int = 1):  # type: ignore[no-untyped-def]
    ruleset = load_ruleset(text).ruleset.model_copy(update={"version": version})
    return compile_ruleset(ruleset)


def test_the_same_rules_change_no_decision() -> None:
    report = simulate(EVENTS, compiled(DEFAULT_YAML, 2), compiled(DEFAULT_YAML))
    assert report.events == len(EVENTS) and report.changed == 0 and report.pathways == ()


def test_removing_a_rule_loses_its_pathway_and_names_example_events() -> None:
    candidate = compiled(without_rule(DEFAULT_YAML, "skills-recognition"), 2)
    baseline = compiled(DEFAULT_YAML)
    report = simulate(EVENTS, candidate, baseline, examples=3)
    expected = [
        e.id
        for e in EVENTS
        if e.type in baseline.plans
        and "SKILLS_RECOGNITION" in baseline.route(e, now=datetime.now(UTC)).pathways
    ]
    impacts = {p.pathway: p for p in report.pathways}
    # People referred only to skills recognition fall back to information and counselling.
    assert set(impacts) == {"SKILLS_RECOGNITION", "INFORMATION_COUNSELLING"}
    assert impacts["INFORMATION_COUNSELLING"].lost == 0
    impact = impacts["SKILLS_RECOGNITION"]
    assert impact.lost == len(expected) > 0 and impact.gained == 0
    assert report.changed >= impact.lost
    assert impact.lost_examples == tuple(expected[:3])
    assert report.candidate.version == 2 and report.baseline.version == 1


def test_a_safeguard_that_would_fire_is_reported_for_both_rulesets() -> None:
    candidate = compiled(without_rule(DEFAULT_YAML, "urgent-medical"), 2)
    report = simulate(EVENTS, candidate, compiled(DEFAULT_YAML))
    fired = {s.safeguard: s for s in report.safeguards}
    assert fired["urgent_medical_care"].candidate > 0
    assert fired["urgent_medical_care"].baseline == 0
    assert len(fired["urgent_medical_care"].examples) == 5


def test_events_that_cannot_be_routed_are_counted_as_skipped() -> None:
    progress: list[int] = []
    default = compiled(DEFAULT_YAML)
    report = simulate([None, *EVENTS[:10]], default, default, progress=progress.append, every=5)
    assert report.skipped == 1 + sum(e.type not in default.plans for e in EVENTS[:10])
    assert progress[-1] == 11 and progress[0] == 5


def test_memory_holds_counters_and_a_few_examples_not_the_sample() -> None:
    simulation = Simulation(
        compiled(without_rule(DEFAULT_YAML, "gbv-risk"), 2), compiled(DEFAULT_YAML), examples=2
    )
    for event in EVENTS * 3:
        simulation.add(event)
    assert all(len(ids) <= 2 for ids in simulation.examples.ids.values())
    assert simulation.report().events == simulation.events
