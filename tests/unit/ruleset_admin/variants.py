"""The shipped default ruleset and edited copies of it, as operators would write them."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

import orjson

from schemas.envelope import parse_structured
from services.domain.synthetic import PROFILES, generate

DEFAULT_YAML = (Path(__file__).resolve().parents[3] / "routing_rules" / "default.yaml").read_text()


def without_rule(text: str, rule_id: str) -> str:
    """The YAML with one rule (and the comment lines just above it) taken out."""
    pattern = rf"(?ms)^(?:  #[^\n]*\n)*  - id: {re.escape(rule_id)}\n.*?(?=^(?:  #|  - id:)|\Z)"
    edited, count = re.subn(pattern, "", text)
    assert count == 1, rule_id
    return edited


def generated(count: int, seed: int = 7) -> list[dict[str, Any]]:
    start = datetime.now(UTC) - timedelta(days=400)
    return list(generate(PROFILES["mixed"], Random(seed), start=start, count=count, per_day=5000))


def parsed(events: list[dict[str, Any]]) -> list[Any]:
    now = datetime.now(UTC)
    return [parse_structured(orjson.dumps(event), now=now) for event in events]
