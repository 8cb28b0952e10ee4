"""Drawing from weighted tables and making pseudonymous tokens, always from a passed `Random`."""

from bisect import bisect
from collections.abc import Callable, Mapping
from itertools import accumulate, pairwise
from random import Random
from typing import Generic, TypeVar
from uuid import UUID

T = TypeVar("T")


class Weighted(Generic[T]):
    """A fixed weighted table; `pick` costs one `random()` and one bisect."""

    __slots__ = ("_cumulative", "_items", "_total")

    def __init__(self, weights: Mapping[T, float]) -> None:
        if not weights or min(weights.values()) < 0 or sum(weights.values()) <= 0:
            raise ValueError("a weighted table needs at least one positive weight")
        self._items: tuple[T, ...] = tuple(weights)
        self._cumulative: tuple[float, ...] = tuple(accumulate(weights.values()))
        self._total = self._cumulative[-1]

    def pick(self, rng: Random) -> T:
        return self._items[bisect(self._cumulative, rng.random() * self._total)]

    def expectation(self, value: Callable[[T], float]) -> float:
        """The mean of `value(item)` under these weights."""
        edges = (0.0, *self._cumulative)
        weights = (high - low for low, high in pairwise(edges))
        return (
            sum(w * value(item) for w, item in zip(weights, self._items, strict=True)) / self._total
        )


def token(rng: Random, prefix: str) -> str:
    """`prefix` + 32 lowercase hex, shaped like the truncated HMAC-SHA256 agencies publish."""
    return f"{prefix}{rng.getrandbits(128):032x}"


def event_id(rng: Random) -> str:
    """A random version-4 UUID string: unique for all practical purposes, repeatable per seed."""
    return str(UUID(int=rng.getrandbits(128), version=4))


def chance(rng: Random, probability: float) -> bool:
    return rng.random() < probability
