"""Ingest throughput: the HTTP API (single events and batches) and the Kafka-path validation.

    .venv/bin/python bench/ingest_bench.py [--bootstrap 127.0.0.1:19092] [--events 20000]

Needs a running broker. Serves the ingest API with uvicorn on a free local port (SQLite token
store in a temporary folder), then measures, on topics of its own:
- `http_single`: accepted events/s, one event per request, `--concurrency` clients;
- `http_batch`: accepted events/s, `--batch` events per request, `--concurrency` clients;
- `kafka_validation`: events/s of the router's validate + de-duplicate + route step on
  consumed records (no broker I/O), and `kafka_router`: the router service end to end,
  inbound topic to decisions (broker I/O included).
Prints one JSON object and writes it to bench/results/ingest-<UTC timestamp>.json.
"""

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from schemas.topics import DECISIONS, EVENTS_DEADLETTER, EVENTS_INBOUND, REFERRAL_UPDATES, RULES
from services.adapters.kafka import ensure_topics, topic_name
from services.adapters.settings import KafkaSettings, Settings
from services.domain.synthetic import PROFILES, generate
from services.router.app import DEFAULT_RULES_DIR, RouterService
from services.router.dedup import DedupMemory
from services.router.handlers import RouterTopics, route_records
from services.router.rulesets import load_default
from tests.integration.ingest.conftest import (
    PEPPER,
    api_settings,
    free_port,
    token_store,
)

RESULTS = Path(__file__).resolve().parent / "results"


def events(count: int, seed: int) -> list[dict[str, Any]]:
    start = datetime.now(UTC) - timedelta(days=400)
    return [dict(e, agency="ITA-MOI", source="urn:mixflow:agency:ITA-MOI")
            for e in generate(PROFILES["mixed"], Random(seed), start=start, count=count,
                              per_day=20000)]  # fmt: skip


async def post_all(url: str, token: str, bodies: list[bytes], path: str, media: str,
                   concurrency: int) -> int:  # fmt: skip
    queue = list(reversed(bodies))
    accepted = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal accepted
        while queue:
            response = await client.post(path, content=queue.pop(), headers={"Content-Type": media})
            if response.status_code != 202:
                raise SystemExit(f"{path}: HTTP {response.status_code} {response.text[:200]}")
            accepted += response.json()["accepted"]

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"},
                                 limits=limits, timeout=60) as client:  # fmt: skip
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return accepted


def timed_http(url: str, token: str, bodies: list[bytes], path: str, media: str,
               concurrency: int) -> dict[str, float]:  # fmt: skip
    began = time.perf_counter()
    accepted = asyncio.run(post_all(url, token, bodies, path, media, concurrency))
    seconds = time.perf_counter() - began
    return {"events": accepted, "seconds": round(seconds, 2), "eps": round(accepted / seconds)}


class Record:
    __slots__ = ("headers", "key", "offset", "partition", "topic", "value")

    def __init__(self, value: bytes, offset: int) -> None:
        self.value, self.offset, self.partition, self.topic = value, offset, offset % 4, "in"
        self.key, self.headers = None, ()


def validation_only(sample: list[dict[str, Any]]) -> dict[str, float]:
    ruleset = load_default(DEFAULT_RULES_DIR)
    records = [Record(orjson.dumps(e), i) for i, e in enumerate(sample)]
    memory = DedupMemory(1_000_000, 7 * 86400)
    now = datetime.now(UTC)
    began = time.perf_counter()
    for start in range(0, len(records), 2000):
        route_records(records[start:start + 2000], ruleset, now=now, topics=RouterTopics(),
                      memory=memory, group="bench")  # fmt: skip
    seconds = time.perf_counter() - began
    return {
        "events": len(records),
        "seconds": round(seconds, 2),
        "eps": round(len(records) / seconds),
    }


async def router_end_to_end(settings: Settings, expected: int) -> dict[str, float]:
    service = RouterService(settings)
    task = asyncio.create_task(service.run())
    began = None
    while service.loop.stats.consumed < expected:
        if began is None and service.loop.stats.consumed:
            began = time.perf_counter()
        if task.done():
            task.result()
        await asyncio.sleep(0.005)
    seconds = time.perf_counter() - (began or time.perf_counter())
    service.stop()
    await task
    return {"events": expected, "seconds": round(seconds, 2), "eps": round(expected / seconds)}


def serve_in_subprocess(settings: Settings) -> tuple[subprocess.Popen[bytes], str]:
    """`mixflow serve ingest` in its own process, so the load generator does not share its GIL."""
    port = free_port()
    env = {
        **os.environ,
        "MIXFLOW_DATABASE_URL": settings.effective_database_url,
        "MIXFLOW_TOKEN_PEPPER": PEPPER,
        "MIXFLOW_KAFKA__BOOTSTRAP": settings.kafka.bootstrap,
        "MIXFLOW_KAFKA__TOPIC_PREFIX": settings.kafka.topic_prefix,
        "MIXFLOW_API__INGEST_RATE_PER_S": "1000000000",
        "MIXFLOW_API__INGEST_BURST": "1000000000",
        "MIXFLOW_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "serve", "ingest", "--port", str(port)],
        env=env, cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return server, url
        except httpx.TransportError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("the ingest API did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:19092")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--single", type=int, default=2_000, help="events sent one by one")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    kafka = KafkaSettings(bootstrap=args.bootstrap, partitions=4,
                          topic_prefix=f"bench{uuid.uuid4().hex[:6]}.")  # fmt: skip
    names = [topic_name(kafka, t) for t in (EVENTS_INBOUND, DECISIONS, EVENTS_DEADLETTER,
                                            REFERRAL_UPDATES)]  # fmt: skip
    ensure_topics(kafka, [(n, False) for n in names])
    ensure_topics(kafka, [(topic_name(kafka, RULES), True)], partitions=1)
    settings = api_settings(Settings(kafka=kafka), Path(tempfile.mkdtemp()),
                            ingest_rate_per_s=1e9, ingest_burst=10**9)  # fmt: skip
    token = token_store(settings).create("ITA-MOI", "publisher", now=datetime.now(UTC)).token
    sample = events(args.events + args.single, seed=3)
    server, url = serve_in_subprocess(settings)
    try:
        single = timed_http(
            url,
            token,
            [orjson.dumps(e) for e in sample[: args.single]],
            "/v1/events",
            "application/cloudevents+json",
            args.concurrency,
        )
        rest = sample[args.single :]
        bodies = [orjson.dumps(rest[i : i + args.batch]) for i in range(0, len(rest), args.batch)]
        batch = timed_http(
            url,
            token,
            bodies,
            "/v1/events:batch",
            "application/cloudevents-batch+json",
            min(args.concurrency, 4),
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    validation = validation_only(sample)
    router = asyncio.run(router_end_to_end(settings, len(sample)))
    result = {
        "http_single": single | {"concurrency": args.concurrency},
        "http_batch": batch | {"batch": args.batch},
        "kafka_validation": validation,
        "kafka_router": router | {"partitions": 4},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    text = json.dumps(result, indent=2)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"ingest-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
