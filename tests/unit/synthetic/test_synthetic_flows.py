"""Synthetic mixed flows: valid, deterministic, plausible, constant memory."""

import random
import re
from collections import Counter
from datetime import UTC, datetime

import orjson
import pytest
from typer.testing import CliRunner

from schemas.envelope import ArrivalEvent, ReturnEvent, parse_structured
from services.cli import app
from services.domain.synthetic import PROFILES, generate

pytestmark = pytest.mark.unit
START = datetime(2025, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 29, tzinfo=UTC)
CHILD = {"0-4", "5-11", "12-17"}


def stream(profile: str, seed: int, count: int) -> list[ArrivalEvent | ReturnEvent]:
    events = generate(PROFILES[profile], random.Random(seed), start=START, count=count)
    parsed = [parse_structured(orjson.dumps(event), now=NOW) for event in events]
    assert all(isinstance(e, ArrivalEvent | ReturnEvent) for e in parsed)
    return parsed  # type: ignore[return-value]


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("seed", [1, 2])
def test_every_generated_event_meets_the_contract(profile: str, seed: int) -> None:
    events = stream(profile, seed, 2500)
    assert len(events) == 2500
    assert len({e.id for e in events}) == 2500
    assert [e.time for e in events] == sorted(e.time for e in events)


def test_the_same_seed_gives_the_same_bytes_and_another_seed_does_not() -> None:
    def run(seed: int) -> list[bytes]:
        return [
            orjson.dumps(e)
            for e in generate(PROFILES["mixed"], random.Random(seed), start=START, count=300)
        ]

    assert run(5) == run(5)
    assert run(5) != run(6)


def test_tokens_look_like_hmac_output_and_sources_match_agencies() -> None:
    for event in stream("mixed", 3, 1000):
        assert re.fullmatch(r"p_[0-9a-f]{32}", event.data.person_ref)
        assert event.source == f"urn:mixflow:agency:{event.agency}"
        assert event.subject == event.data.person_ref


def test_sea_arrivals_have_plausible_joint_distributions() -> None:
    arrivals = [e.data for e in stream("sea-mixed", 11, 6000)]
    children = [a for a in arrivals if a.demographics.age_band in CHILD]
    assert 0.12 <= len(children) / len(arrivals) <= 0.25
    alone = [a for a in arrivals if a.protection.unaccompanied_child]
    assert alone and all(
        a.demographics.age_band in CHILD and a.household_ref is None for a in alone
    )
    assert all(a.demographics.age_band in CHILD for a in arrivals if a.protection.separated_child)
    trafficking = sum(bool(a.protection.trafficking_indicators) for a in arrivals) / len(arrivals)
    assert 0.01 <= trafficking <= 0.1
    assert not any(a.protection.pregnant and a.demographics.sex == "male" for a in arrivals)
    intent = {
        n: [a.protection.asylum_intent for a in arrivals if a.demographics.nationality == n]
        for n in ("ERI", "EGY")
    }
    assert sum(intent["ERI"]) / len(intent["ERI"]) > 2 * sum(intent["EGY"]) / len(intent["EGY"])
    routes = Counter((a.journey.departure_country, a.location.country) for a in arrivals)
    assert routes.most_common(1)[0][0] == ("LBY", "ITA")


def test_households_travel_together_and_share_their_reference() -> None:
    arrivals = [e.data for e in stream("sea-mixed", 4, 3000)]
    households = Counter(a.household_ref for a in arrivals if a.household_ref)
    assert households and max(households.values()) >= 2
    by_household: dict[str, set[str]] = {}
    for a in arrivals:
        if a.household_ref:
            by_household.setdefault(a.household_ref, set()).add(a.demographics.nationality)
    assert all(len(nationalities) == 1 for nationalities in by_household.values())


def test_in_the_return_corridor_people_return_weeks_after_they_arrived() -> None:
    events = stream("return-corridor", 8, 6000)
    arrived = {e.subject: e for e in events if isinstance(e, ArrivalEvent)}
    returns = [e for e in events if isinstance(e, ReturnEvent) and e.subject in arrived]
    assert len(returns) > 100
    for back in returns:
        first = arrived[back.subject]
        assert (back.time - first.time).days >= 14
        assert back.data.return_country == first.data.demographics.nationality
        assert back.data.host_country == first.data.location.country
        assert back.data.demographics == first.data.demographics


def test_generate_streams_jsonl_on_stdout() -> None:
    result = CliRunner().invoke(
        app, ["generate", "-n", "50", "--seed", "1", "--profile", "sea-mixed"]
    )
    assert result.exit_code == 0
    lines = result.stdout_bytes.splitlines()
    assert len(lines) == 50
    parse_structured(lines[0], now=NOW)


def test_generate_refuses_an_unknown_profile_in_one_line() -> None:
    result = CliRunner().invoke(app, ["generate", "--profile", "nowhere"])
    assert result.exit_code == 2
    assert "unknown profile" in result.output and "Traceback" not in result.output
