"""The aggregate publisher remembers a bounded number of published cells."""

import asyncio
from typing import Any

from services.flows.publisher import Publisher

HOUR = 3600
START = 1_795_000_000 // HOUR * HOUR


class NoCells:
    """A store in which every window is empty: each window publishes its zero totals."""

    def cells(self, *_: Any, **__: Any) -> dict[Any, int]:
        return {}


class Sent:
    def __init__(self) -> None:
        self.keys: list[bytes] = []

    async def send(self, *, key: bytes, value: bytes) -> None:
        self.keys.append(key)


def publish(publisher: Publisher, hours: range) -> None:
    publisher.mark({("arrivals", "hour", START + h * HOUR) for h in hours})
    asyncio.run(publisher.publish())


def test_unchanged_cells_are_sent_once_and_memory_stays_within_its_bound() -> None:
    sink = Sent()
    publisher = Publisher(NoCells(), sink, k=5, remembered=50)  # type: ignore[arg-type]
    publish(publisher, range(1))
    per_window = len(sink.keys)
    assert per_window >= 1
    publish(publisher, range(1))  # nothing changed: nothing sent
    assert len(sink.keys) == per_window
    publish(publisher, range(1, 200))  # many later windows
    assert len(publisher._last) == 50
    sent = len(sink.keys)
    publish(publisher, range(199, 200))  # recent: still remembered, not sent again
    assert len(sink.keys) == sent
    publish(publisher, range(1))  # forgotten long ago: sent again, unchanged, which is harmless
    assert len(sink.keys) == sent + per_window
