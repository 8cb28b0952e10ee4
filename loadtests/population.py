"""What every scenario needs from the stack under test: addresses, tokens and fresh events.

The stack is found the way the services find it, from `MIXFLOW_*` variables (state folder, API
ports, broker, topic prefix); its tokens come from `<state>/stack-tokens.json`, which `mixflow up`
writes. Events are generated from the mixed profile with times just behind the clock and ids no
earlier run used, so the router never drops them as re-sent; each is stamped with the time it is
taken, as an agency's system stamps a registration when it publishes it.
"""

import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from random import Random
from typing import Any

import gevent

from services.adapters.settings import Settings
from services.domain.synthetic import PROFILES, generate

CHUNK = 200
"""Events generated at a time: small, because generating blocks the process for ~0.1 ms an event."""


@cache
def stack_settings() -> Settings:
    return Settings()


def tokens_path() -> Path:
    override = os.environ.get("MIXFLOW_LOADTEST_TOKENS")
    return Path(override) if override else stack_settings().state_dir / "stack-tokens.json"


@cache
def tokens() -> dict[str, str]:
    """Bearer tokens by role (admin, publisher, monitor, operator) of the stack under test."""
    path = tokens_path()
    if not path.exists():
        raise SystemExit(f"no stack tokens at {path}: start the stack with `mixflow up` first")
    found: dict[str, str] = json.loads(path.read_text())
    return found


def token(role: str) -> str:
    """A role's token; `MIXFLOW_LOADTEST_<ROLE>_TOKEN` overrides the stack's own."""
    return os.environ.get(f"MIXFLOW_LOADTEST_{role.upper()}_TOKEN") or tokens()[role]


def base_url(port: int) -> str:
    return f"http://{stack_settings().api.host}:{port}"


class EventStream:
    """An endless, thread-safe supply of fresh CloudEvents, optionally all of one agency."""

    def __init__(self, agency: str | None = None, seed: int | None = None) -> None:
        self._agency = agency
        self._rng = Random(seed if seed is not None else int.from_bytes(os.urandom(8), "big"))
        self._lock = threading.Lock()
        self._pending: Iterator[dict[str, Any]] = iter(())

    def next(self) -> dict[str, Any]:
        with self._lock:
            event = next(self._pending, None)
            if event is None:
                self._pending = self._chunk()
                event = next(self._pending)
        stamped = {**event, "time": _now_text()}
        if self._agency:
            # A publisher token may only publish for its own agency: source and extension.
            stamped["agency"] = self._agency
            stamped["source"] = f"urn:mixflow:agency:{self._agency}"
        return stamped

    def take(self, count: int) -> list[dict[str, Any]]:
        return [self.next() for _ in range(count)]

    def _chunk(self) -> Iterator[dict[str, Any]]:
        rng = Random(self._rng.getrandbits(64))
        start = datetime.now(UTC) - timedelta(hours=1)
        return iter(list(generate(PROFILES["mixed"], rng, start=start, count=CHUNK)))


def _now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# Importing the contracts and the generator takes seconds on a busy machine, during which gevent's
# cached loop time stands still; without a refresh, Locust's `--run-time` timer would be armed
# from that stale time and fire at once. Every locustfile imports this module.
gevent.get_hub().loop.update_now()
