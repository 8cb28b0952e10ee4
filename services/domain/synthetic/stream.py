"""The synthetic event stream: groups met over time, returns weeks later, in time order.

`generate(profile, rng, start=..., count=...)` yields `count` structured CloudEvents as plain
dicts, ready for `orjson.dumps`. Memory stays constant in `count`: only people met and not yet
returned are held, which is bounded by the arrival rate times the longest return delay.
Everything random comes from `rng` and time from `start`, so a seed gives the same stream.
"""

import heapq
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import count as counter
from random import Random
from typing import Any

from schemas.events.arrival import ARRIVAL_V1
from schemas.events.returns import RETURN_V1
from services.domain.synthetic.draws import event_id, token
from services.domain.synthetic.people import Person, draw_group
from services.domain.synthetic.profiles import Profile, Route
from services.domain.synthetic.returns import direct_return, reporting_agency, return_after_arrival

Event = dict[str, Any]
# A scheduled event: seconds after start, a tie-breaking sequence number, and how to build it.
Scheduled = tuple[float, int, Callable[[datetime], Event]]

REGISTRATION_HOURS = {"sea": 8.0, "land": 24.0, "air": 2.0}
"""Over how many hours the people of one group are registered after they are met."""


def generate(
    profile: Profile, rng: Random, *, start: datetime, count: int, per_day: float | None = None
) -> Iterator[Event]:
    """Yield `count` events from `start` on, about `per_day` (default: the profile's) a day."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    start = start.astimezone(UTC)
    gap = 86400.0 * _events_per_batch(profile) / (per_day or profile.per_day)
    pending: list[Scheduled] = []
    sequence = counter()
    next_batch = 0.0
    emitted = 0
    while emitted < count:
        if pending and pending[0][0] <= next_batch:
            seconds, _, build = heapq.heappop(pending)
            yield build(start + timedelta(seconds=seconds))
            emitted += 1
            continue
        for item in _batch(profile, rng, next_batch):
            heapq.heappush(pending, (item[0], next(sequence), item[1]))
        next_batch += rng.expovariate(1.0 / gap)


def envelope(rng: Random, kind: str, agency: str, when: datetime, data: Event) -> Event:
    """A structured-mode CloudEvent around `data`, `subject` being the person."""
    return {
        "specversion": "1.0",
        "id": event_id(rng),
        "source": f"urn:mixflow:agency:{agency}",
        "type": kind,
        "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "subject": data["person_ref"],
        "datacontenttype": "application/json",
        "agency": agency,
        "data": data,
    }


def _batch(
    profile: Profile, rng: Random, at: float
) -> list[tuple[float, Callable[[datetime], Event]]]:
    if profile.direct_returns is not None and rng.random() < profile.direct_return_share:
        return _direct_returns(profile, rng, at)
    route = profile.routes.pick(rng)
    size = rng.randint(*route.group_size)
    spread = REGISTRATION_HOURS[route.mode] * 3600.0
    items: list[tuple[float, Callable[[datetime], Event]]] = []
    while len(items) < size:
        group = draw_group(route, rng)
        met = at + rng.random() * spread
        for person in group:
            items.append((met + rng.random() * 600.0, _arrival(rng, route, person)))
        items.extend(_returns(route, rng, group, met))
    return items


def _arrival(rng: Random, route: Route, person: Person) -> Callable[[datetime], Event]:
    return lambda when: envelope(rng, ARRIVAL_V1, route.agency, when, person.data)


def _returns(
    route: Route, rng: Random, group: list[Person], met: float
) -> list[tuple[float, Callable[[datetime], Event]]]:
    """A household returns together; people with a protection need seldom return."""
    if route.return_types is None or any(p.nationality in ("XXA", "XXX") for p in group):
        return []
    need = any(p.protection_need for p in group)
    if rng.random() >= route.return_share * (0.2 if need else 1.0):
        return []
    low, high = route.return_weeks
    weeks = low + rng.random() * (high - low)
    return_type = route.return_types.pick(rng)
    agency = reporting_agency(return_type, route.country, group[0].nationality)
    at = met + weeks * 7 * 86400.0

    def build(person: Person) -> Callable[[datetime], Event]:
        data = return_after_arrival(person, rng, return_type, weeks)
        return lambda when: envelope(rng, RETURN_V1, agency, when, data)

    return [(at + i * 60.0, build(person)) for i, person in enumerate(group)]


def _direct_returns(
    profile: Profile, rng: Random, at: float
) -> list[tuple[float, Callable[[datetime], Event]]]:
    plan = profile.direct_returns
    assert plan is not None  # checked by the caller
    host = plan.hosts.pick(rng)
    nationality = plan.nationalities[host].pick(rng)
    return_type = plan.return_types.pick(rng)
    agency = reporting_agency(return_type, host, nationality)
    items: list[tuple[float, Callable[[datetime], Event]]] = []
    for i in range(rng.randint(*plan.group_size)):
        household = token(rng, "h_") if rng.random() < 0.15 else None
        data = direct_return(rng, host, nationality, return_type, household)
        items.append((at + i * 120.0, _built(rng, agency, data)))
    return items


def _built(rng: Random, agency: str, data: Event) -> Callable[[datetime], Event]:
    return lambda when: envelope(rng, RETURN_V1, agency, when, data)


def _events_per_batch(profile: Profile) -> float:
    def route_events(route: Route) -> float:
        persons = sum(route.group_size) / 2.0
        return persons * (1.0 + route.return_share * 0.7)

    arrivals = profile.routes.expectation(route_events)
    direct = profile.direct_returns
    returns = sum(direct.group_size) / 2.0 if direct is not None else 0.0
    share = profile.direct_return_share
    return (1.0 - share) * arrivals + share * returns
