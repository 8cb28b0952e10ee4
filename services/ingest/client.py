"""Clients agencies can reuse to publish events: over the HTTP ingest API, or straight to Kafka.

    with IngestClient("https://mixflow.example.org", token) as client:
        report = client.publish_many(events, batch_size=200)
    report.accepted   # ids the broker acknowledged
    report.rejected   # Rejection(index, status, problems) for each refused event

Both retry what can succeed later (connection errors, 429, 502-504, broker timeouts) with
exponential backoff, honouring `Retry-After`, and never retry what cannot (4xx). Re-sending is
safe: mixflow processes one event id per source once. See docs/ingest.md.
"""

import random
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
import orjson

from schemas.envelope import HEADER_OF, parse_structured
from schemas.errors import ContractError
from services.adapters.kafka import reliable_producer
from services.adapters.settings import KafkaSettings

RETRIED = frozenset({429, 502, 503, 504})
_INDEX = re.compile(r"^\[(\d+)\]\.?")
Event = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Rejection:
    """One refused event: its index in what was published, the HTTP status and the problems."""

    index: int
    status: int
    problems: tuple[dict[str, Any], ...]
    title: str = ""


@dataclass
class Report:
    accepted: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Backoff:
    """How often and how patiently to retry: `retries` more tries, delays doubling from `base_s`."""

    retries: int = 5
    base_s: float = 0.5
    max_s: float = 30.0

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        if retry_after and retry_after.isdigit():
            return min(float(retry_after), self.max_s)
        return float(min(self.base_s * 2**attempt, self.max_s) * random.uniform(0.5, 1.0))


class IngestClient:
    """The HTTP ingest API: `publish` one event, `publish_batch` all-or-nothing, or
    `publish_many` any number (batched; items refused in a batch are reported and the others
    re-sent)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        backoff: Backoff = Backoff(),
        timeout_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout_s,
            transport=transport,
        )
        self._backoff = backoff
        self._sleep = sleep

    def __enter__(self) -> "IngestClient":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def publish(self, event: Event) -> httpx.Response:
        return self._post("/v1/events", orjson.dumps(event), "application/cloudevents+json")

    def publish_batch(self, events: Sequence[Event]) -> httpx.Response:
        body = orjson.dumps(list(events))
        return self._post("/v1/events:batch", body, "application/cloudevents-batch+json")

    def publish_many(
        self,
        events: Iterable[Event],
        *,
        batch_size: int = 200,
        progress: Callable[[int], None] | None = None,
    ) -> Report:
        report = Report()
        chunk: list[tuple[int, Event]] = []
        for index, event in enumerate(events):
            chunk.append((index, event))
            if len(chunk) >= batch_size:
                self._publish_chunk(chunk, report, progress)
                chunk = []
        if chunk:
            self._publish_chunk(chunk, report, progress)
        return report

    def _publish_chunk(
        self,
        chunk: list[tuple[int, Event]],
        report: Report,
        progress: Callable[[int], None] | None,
    ) -> None:
        total = len(chunk)
        while chunk:
            response = self.publish_batch([event for _, event in chunk])
            if response.status_code == 202:
                report.accepted += response.json()["ids"]
                break
            refused = _refused_items(response, len(chunk))
            title = _title(response)
            for position, problems in refused.items():
                report.rejected.append(
                    Rejection(chunk[position][0], response.status_code, problems, title)
                )
            chunk = [item for position, item in enumerate(chunk) if position not in refused]
        if progress is not None:
            progress(total)

    def _post(self, path: str, body: bytes, media_type: str) -> httpx.Response:
        headers = {"Content-Type": media_type}
        for attempt in range(self._backoff.retries + 1):
            try:
                response = self._http.post(path, content=body, headers=headers)
            except httpx.TransportError:
                if attempt == self._backoff.retries:
                    raise
                self._sleep(self._backoff.delay(attempt))
                continue
            if response.status_code not in RETRIED or attempt == self._backoff.retries:
                return response
            self._sleep(self._backoff.delay(attempt, response.headers.get("retry-after")))
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns


def _title(response: httpx.Response) -> str:
    try:
        return str(response.json().get("title", ""))
    except ValueError:
        return ""


def _refused_items(response: httpx.Response, size: int) -> dict[int, tuple[dict[str, Any], ...]]:
    """Which items of a refused batch were at fault (by the paths of its problems); all of them
    when the problems do not say (a 401, a 413, an exhausted retry)."""
    try:
        problems = response.json().get("errors") or []
    except ValueError:
        problems = []
    by_item: dict[int, list[dict[str, Any]]] = {}
    for problem in problems:
        match = _INDEX.match(str(problem.get("path", "")))
        if match and int(match.group(1)) < size:
            fixed = {**problem, "path": problem["path"][match.end() :]}
            by_item.setdefault(int(match.group(1)), []).append(fixed)
    if not by_item:
        return {position: tuple(problems) for position in range(size)}
    return {position: tuple(found) for position, found in by_item.items()}


class KafkaPublisher:
    """Produces CloudEvents to the inbound topic with kafka-python (acks=all, idempotent).

    `mode="structured"` sends the envelope as the value; `mode="binary"` sends `data` as the
    value and the other attributes as `ce_*` headers. With `validate=True` (the default) each
    event is checked against the contract first, and refused without being sent.
    """

    def __init__(
        self,
        settings: KafkaSettings,
        topic: str,
        *,
        mode: Literal["structured", "binary"] = "structured",
        validate: bool = True,
        backoff: Backoff = Backoff(),
    ) -> None:
        self._producer = reliable_producer(
            settings,
            client_id="mixflow-publish",
            retry_backoff_ms=int(backoff.base_s * 1000),
            delivery_timeout_ms=int(max(backoff.max_s, 1) * 1000 * (backoff.retries + 1)),
        )
        self._topic, self._mode, self._validate = topic, mode, validate

    def publish_many(
        self, events: Iterable[Event], *, progress: Callable[[int], None] | None = None
    ) -> Report:
        report = Report()
        futures: list[tuple[int, str, Any]] = []
        for index, event in enumerate(events):
            problems = self._problems(event)
            if problems:
                report.rejected.append(Rejection(index, 0, problems, "breaks the contract"))
                continue
            key, value, headers = encode(event, self._mode)
            future = self._producer.send(self._topic, value=value, key=key, headers=headers)
            futures.append((index, str(event.get("id", "")), future))
            if progress is not None:
                progress(1)
        self._producer.flush()
        for index, event_id, future in futures:
            try:
                future.get(timeout=0)
                report.accepted.append(event_id)
            except Exception as exc:  # kafka-python raises many types for "not delivered"
                problem = {"path": "", "reason": type(exc).__name__, "kind": "internal"}
                report.rejected.append(Rejection(index, 503, (problem,), "not delivered"))
        return report

    def _problems(self, event: Event) -> tuple[dict[str, Any], ...]:
        if not self._validate:
            return ()
        try:
            parse_structured(orjson.dumps(event), now=datetime.now(UTC))
        except ContractError as exc:
            return tuple(p.model_dump() for p in exc.problems)
        except TypeError:
            return ({"path": "", "reason": "not a JSON object", "kind": "malformed_json"},)
        return ()

    def close(self) -> None:
        self._producer.close()


def encode(event: Event, mode: str) -> tuple[bytes | None, bytes, list[tuple[str, bytes]]]:
    """Key, value and headers of one event on Kafka, in structured or binary mode."""
    subject = event.get("subject") or (event.get("data") or {}).get("referral_id")
    key = str(subject).encode() if subject else None
    if mode == "structured":
        return key, orjson.dumps(event), []
    headers = [
        (HEADER_OF.get(name, f"ce_{name}"), str(value).encode())
        for name, value in event.items()
        if name != "data"
    ]
    return key, orjson.dumps(event.get("data")), headers
