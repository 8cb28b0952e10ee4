"""The bare pipeline writes the rows casework would write for the same decision's case and
referrals: same ids, same pathways and deadlines, one value per column."""

from datetime import UTC, datetime, timedelta
from random import Random

import orjson

from schemas.decisions import DecisionV1
from schemas.envelope import parse_structured
from services.adapters.db.mapping import REFERRAL_COLUMNS
from services.domain.cases.ids import case_id_for, referral_id_for
from services.domain.rules import compile_ruleset, load_ruleset
from services.domain.synthetic import PROFILES, generate
from services.stack.bare.stages import CASE_COLUMNS, rows_of
from services.stack.infrastructure import RULES_DIR

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)


def decisions(count: int) -> list[bytes]:
    path = RULES_DIR / "default.yaml"
    loaded = load_ruleset(path.read_text(), str(path))
    ruleset = compile_ruleset(loaded.ruleset, loaded.source)
    events = generate(PROFILES["mixed"], Random(3), start=NOW - timedelta(days=1), count=count)
    return [
        ruleset.route(parse_structured(orjson.dumps(e), now=NOW), now=NOW).to_json() for e in events
    ]


def test_each_referral_of_a_decision_becomes_one_row_with_casework_ids() -> None:
    for raw in decisions(200):
        decision = DecisionV1.model_validate_json(raw)
        case, referrals = rows_of(raw)
        assert len(case) == len(CASE_COLUMNS)
        assert case[:3] == (
            case_id_for(decision.person_ref),
            decision.person_ref,
            decision.household_ref,
        )
        assert len(referrals) == len(decision.referrals) > 0
        for row, referral in zip(referrals, decision.referrals, strict=True):
            fields = dict(zip(REFERRAL_COLUMNS, row, strict=True))
            assert fields["referral_id"] == referral_id_for(decision.decision_id, referral.pathway)
            assert fields["case_id"] == case[0]
            assert fields["pathway"] == referral.pathway
            assert fields["due_at"] == decision.decided_at + timedelta(hours=referral.sla_hours)
            assert fields["status"] == "pending"
            assert fields["ruleset_version"] == decision.ruleset.version
            assert tuple(fields["matched"]) == referral.matched
