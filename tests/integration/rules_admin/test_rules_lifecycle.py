"""Acceptance: a draft with a lint error, fixed, simulated, approved, published, rolled back."""

import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import orjson

from schemas.decisions import DecisionV1
from schemas.topics import DECISIONS, EVENTS_INBOUND
from services.domain.rules import compile_ruleset, lint_text, load_ruleset
from tests.integration.router.conftest import RunningRouter, generated_events, publish, read_all
from tests.integration.rules_admin.conftest import RulesApi
from tests.unit.ruleset_admin.variants import DEFAULT_YAML, parsed, without_rule

BROKEN = without_rule(DEFAULT_YAML, "asylum-access")
FIXED = without_rule(DEFAULT_YAML, "skills-recognition")


def _wait_for_version(router: RunningRouter, version: int, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while router.service.active.compiled.ref.version != version:
        assert time.monotonic() < deadline, f"router still on {router.service.active.compiled.ref}"
        time.sleep(0.1)


def _decisions_for(
    bootstrap: str, router: RunningRouter, events: list[dict[str, Any]], seen: int
) -> list[DecisionV1]:
    ids = {e["id"] for e in events}
    records = read_all(bootstrap, router.topic(DECISIONS), seen + len(events))
    decisions = [DecisionV1.model_validate_json(r.value) for r in records]
    return [d for d in decisions if d.event_id in ids]


def _skills(decisions: list[DecisionV1]) -> int:
    return sum("SKILLS_RECOGNITION" in {r.pathway for r in d.referrals} for d in decisions)


def test_an_operator_change_goes_from_draft_to_the_router_and_back_and_every_step_is_audited(
    kafka_broker: str, router: RunningRouter, rules_api: RulesApi
) -> None:
    api, ana, ben = rules_api.client, rules_api.as_("ana"), rules_api.as_("ben")
    inbound = router.topic(EVENTS_INBOUND)

    # The shipped rules become stored version 1 (routers already run them: no switch).
    v1 = api.post(
        "/rulesets/drafts", json={"yaml": DEFAULT_YAML, "comment": "baseline"}, headers=ana
    )
    assert v1.status_code == 201 and v1.json()["version"]["version"] == 1
    assert api.post("/rulesets/default/versions/1/approve", json={}, headers=ben).status_code == 200
    assert api.post("/rulesets/default/versions/1/publish", json={}, headers=ana).status_code == 200

    sample = generated_events(300, seed=21)
    publish(kafka_broker, inbound, sample)
    first = _decisions_for(kafka_broker, router, sample, 0)
    assert len(first) == 300 and {d.ruleset.version for d in first} == {1}

    # A draft breaking a safeguard is stored with the findings `rules check` prints.
    draft = api.post(
        "/rulesets/drafts",
        json={"yaml": BROKEN, "file": "default.yaml", "comment": "drop duplicate asylum rule"},
        headers=ana,
    ).json()
    assert draft["version"]["version"] == 2 and draft["errors"] > 0
    assert draft["rendered"] == [f.render() for f in lint_text(BROKEN, "default.yaml")]
    assert any("ASYLUM_PROCEDURE" in line for line in draft["rendered"])
    refused = api.post("/rulesets/default/versions/2/approve", json={}, headers=ben)
    assert refused.status_code == 422 and refused.json()["rendered"]

    fixed = api.put(
        "/rulesets/default/versions/2",
        json={
            "yaml": FIXED,
            "file": "default.yaml",
            "comment": "skills recognition moves to the labour office",
        },
        headers=ana,
    ).json()
    assert fixed["errors"] == 0

    diff = api.get("/rulesets/default/versions/2/diff", headers=ben).json()
    assert (
        diff["removed"] == ["skills-recognition"] and diff["added"] == [] and diff["changed"] == []
    )

    report = api.post("/rulesets/default/versions/2/simulate", json={}, headers=ana).json()
    baseline = compile_ruleset(load_ruleset(DEFAULT_YAML).ruleset)
    now = datetime.now(UTC)
    expected_lost = sum(
        "SKILLS_RECOGNITION" in baseline.route(e, now=now).pathways
        for e in parsed(sample)
        if e.type in baseline.plans
    )
    impacts = {p["pathway"]: p for p in report["pathways"]}
    assert report["events"] + report["skipped"] == 300 and report["truncated"] is False
    assert impacts["SKILLS_RECOGNITION"]["lost"] == expected_lost > 0
    assert set(impacts["SKILLS_RECOGNITION"]["lost_examples"]) <= {e["id"] for e in sample}
    assert all(p["lost"] == 0 for name, p in impacts.items() if name != "SKILLS_RECOGNITION")

    # Four eyes: the author may not approve; a second operator may; then it is published.
    own = api.post("/rulesets/default/versions/2/approve", json={}, headers=ana)
    assert own.status_code == 403 and "four-eyes" in own.json()["detail"]
    early = api.post("/rulesets/default/versions/2/publish", json={}, headers=ana)
    assert early.status_code == 403
    assert (
        api.post(
            "/rulesets/default/versions/2/approve", json={"comment": "ok"}, headers=ben
        ).status_code
        == 200
    )
    published = api.post(
        "/rulesets/default/versions/2/publish", json={"comment": "go"}, headers=ana
    )
    assert published.status_code == 200 and published.json()["status"] == "active"

    _wait_for_version(router, 2)
    second_batch = generated_events(300, seed=22)
    publish(kafka_broker, inbound, second_batch)
    second = _decisions_for(kafka_broker, router, second_batch, 300)
    assert {d.ruleset.version for d in second} == {2} and _skills(second) == 0

    # Rollback: version 1's rules again, as version 3; the router follows.
    back = api.post(
        "/rulesets/default/rollback",
        json={"to_version": 1, "comment": "labour office not ready"},
        headers=ben,
    )
    assert back.status_code == 200 and back.json()["version"] == 3 and back.json()["restores"] == 1
    _wait_for_version(router, 3)
    third_batch = generated_events(300, seed=23)
    publish(kafka_broker, inbound, third_batch)
    third = _decisions_for(kafka_broker, router, third_batch, 600)
    assert len(third) == 300 and {d.ruleset.version for d in third} == {3}
    routed_by_v1 = {
        e.id: list(baseline.route(e, now=now).pathways)
        for e in parsed(third_batch)
        if e.type in baseline.plans
    }
    assert all(routed_by_v1[d.event_id] == [r.pathway for r in d.referrals] for d in third)
    assert _skills(third) > 0

    history = api.get("/rulesets/default/versions", headers=ana).json()
    assert [(v["version"], v["status"]) for v in history] == [
        (3, "active"),
        (2, "retired"),
        (1, "retired"),
    ]

    audit = api.get("/audit", params={"ruleset_id": "default"}, headers=ben).json()
    actions = Counter(entry["action"] for entry in audit)
    assert actions == Counter(
        {
            "rules.draft": 2,
            "rules.approve": 2,
            "rules.publish": 2,
            "rules.revise": 1,
            "rules.approve.refused": 2,
            "rules.publish.refused": 1,
            "rules.simulate": 1,
            "rules.rollback": 1,
        }
    )
    assert all(
        e["detail"]["address"] == "testclient" and e["detail"]["channel"] == "api" for e in audit
    )
    rollback = next(e for e in audit if e["action"] == "rules.rollback")
    assert (
        rollback["actor"].startswith("UNHCR/operator/")
        and rollback["detail"]["comment"] == "labour office not ready"
    )
    assert orjson.dumps(audit)  # every entry is plain JSON
