"""Request limits of the ingest API: body size, content type and a per-token rate."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request

from services.adapters.http.problems import ApiProblem

SINGLE_TYPES = frozenset({"application/cloudevents+json", "application/json"})
BATCH_TYPES = frozenset({"application/cloudevents-batch+json", "application/json"})


def require_media_type(request: Request, accepted: frozenset[str]) -> None:
    """415 unless the request declares one of the `accepted` media types."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media not in accepted:
        raise ApiProblem(
            415,
            "Unsupported media type",
            "send Content-Type: " + " or ".join(sorted(accepted)),
        )


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> ApiProblem:
    return ApiProblem(413, "Request too large", f"the body may hold at most {limit} bytes")


@dataclass
class RateLimiter:
    """A token bucket per API token: `rate` events per second sustained, `burst` at once."""

    rate: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, who: str, events: int) -> float:
        """Spend `events`; return 0 when allowed, else the seconds to wait before retrying."""
        now = self.clock()
        level, at = self._buckets.get(who, (float(self.burst), now))
        level = min(float(self.burst), level + (now - at) * self.rate)
        if events > level:
            self._buckets[who] = (level, now)
            return max((events - level) / self.rate, 0.001)
        self._buckets[who] = (level - events, now)
        return 0.0

    def check(self, who: str, events: int) -> None:
        wait = self.take(who, events)
        if wait:
            raise ApiProblem(
                429,
                "Too many events",
                f"this token may publish {self.rate:g} events/s (bursts of {self.burst})",
                headers={"Retry-After": str(max(1, round(wait + 0.5)))},
            )
