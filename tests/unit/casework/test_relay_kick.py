"""The casework worker publishes its outbox beside consumption, one relay run at a time."""

import asyncio
from pathlib import Path

import pytest

from services.adapters.settings import Settings
from services.casework.app import CaseworkService

pytestmark = pytest.mark.unit


class GatedRelay:
    """A relay whose runs wait for the test; it counts runs and overlapping runs."""

    def __init__(self, fail_first: bool = False) -> None:
        self.gate = asyncio.Event()
        self.runs = 0
        self.running = 0
        self.overlapped = False
        self.fail_first = fail_first

    async def publish_pending(self) -> int:
        self.runs += 1
        self.running += 1
        self.overlapped |= self.running > 1
        try:
            await self.gate.wait()
            if self.fail_first and self.runs == 1:
                raise ConnectionError("broker away")
            return 0
        finally:
            self.running -= 1


def service(tmp_path: Path, relay: GatedRelay) -> CaseworkService:
    made = CaseworkService(Settings(database_url=f"sqlite:///{tmp_path / 'cw.db'}"))
    made.relay = relay  # type: ignore[assignment]
    return made


async def drained(made: CaseworkService, relay: GatedRelay) -> None:
    relay.gate.set()
    await made._settle_relay()


def test_kicks_during_a_run_coalesce_into_one_more_run_never_a_parallel_one(tmp_path) -> None:
    async def scenario() -> GatedRelay:
        relay = GatedRelay()
        made = service(tmp_path, relay)
        made._kick_relay()
        await asyncio.sleep(0)  # the first run starts and waits at the gate
        for _ in range(5):
            made._kick_relay()
        await drained(made, relay)
        return relay

    relay = asyncio.run(scenario())
    assert relay.runs == 2 and not relay.overlapped


def test_a_failed_run_leaves_the_next_kick_to_publish(tmp_path) -> None:
    async def scenario() -> GatedRelay:
        relay = GatedRelay(fail_first=True)
        made = service(tmp_path, relay)
        made._kick_relay()
        await drained(made, relay)
        made._kick_relay()
        await drained(made, relay)
        return relay

    relay = asyncio.run(scenario())
    assert relay.runs == 2
