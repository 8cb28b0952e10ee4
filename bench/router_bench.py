"""Router throughput, Kafka to Kafka, side by side with a plain aiokafka loop in the same run.

    .venv/bin/python bench/router_bench.py [--events 100000] [--bootstrap 127.0.0.1:9092]

Fills an inbound topic with generated events once, then lets the plain loop and the router
service (each in its own consumer group) route all of them, and prints one JSON object that is
also written to bench/results/router-<UTC timestamp>.json.
"""

import argparse
import asyncio
import json
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random

import orjson
from kafka import KafkaProducer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.peers.aiokafka_loop import run_plain_loop
from schemas.topics import DECISIONS, EVENTS_DEADLETTER, EVENTS_INBOUND, REFERRAL_UPDATES, RULES
from services.adapters.kafka import ensure_topics, topic_name
from services.adapters.settings import KafkaSettings, Settings
from services.adapters.worker import tune_gc
from services.domain.synthetic import PROFILES, generate
from services.router.app import DEFAULT_RULES_DIR, RouterService
from services.router.rulesets import load_default

RESULTS = Path(__file__).resolve().parent / "results"


def fill(bootstrap: str, topic: str, count: int) -> float:
    start = datetime.now(UTC) - timedelta(days=400)
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks=1, linger_ms=20, batch_size=512 * 1024
    )
    began = time.perf_counter()
    for event in generate(PROFILES["mixed"], Random(1), start=start, count=count, per_day=20000):
        producer.send(topic, key=event["subject"].encode(), value=orjson.dumps(event))
    producer.flush()
    producer.close()
    return count / (time.perf_counter() - began)


async def run_router(settings: Settings, expected: int) -> tuple[float, float]:
    """Seconds from the first routed batch to the last, and the process's CPU microseconds per
    event over the same span (start-up, group join and the first batch left out)."""
    service = RouterService(settings)
    task = asyncio.create_task(service.run())
    began = cpu_began = None
    first = 0
    while service.loop.stats.consumed < expected:
        if began is None and service.loop.stats.consumed:
            began, cpu_began = time.perf_counter(), time.process_time()
            first = service.loop.stats.consumed
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - (began or time.perf_counter())
    cpu = time.process_time() - (cpu_began or time.process_time())
    service.stop()
    await task
    return elapsed, cpu / max(expected - first, 1) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--partitions", type=int, default=4)
    args = parser.parse_args()

    kafka = KafkaSettings(
        bootstrap=args.bootstrap,
        partitions=args.partitions,
        topic_prefix=f"bench{uuid.uuid4().hex[:6]}.",
    )
    settings = Settings(kafka=kafka)
    names = [
        topic_name(kafka, t)
        for t in (EVENTS_INBOUND, DECISIONS, EVENTS_DEADLETTER, REFERRAL_UPDATES)
    ]
    ensure_topics(kafka, [(n, False) for n in [*names, topic_name(kafka, "peer.out")]])
    ensure_topics(kafka, [(topic_name(kafka, RULES), True)], partitions=1)
    feed_rate = fill(args.bootstrap, names[0], args.events)

    ruleset = load_default(DEFAULT_RULES_DIR)
    tune_gc()  # as the worker does (services/adapters/worker.py), for both contenders
    peer_s = asyncio.run(
        run_plain_loop(
            args.bootstrap,
            names[0],
            topic_name(kafka, "peer.out"),
            f"{kafka.topic_prefix}peer",
            ruleset,
            args.events,
        )
    )
    router_s, router_cpu_us = asyncio.run(run_router(settings, args.events))
    result = {
        "events": args.events,
        "partitions": args.partitions,
        "feed_eps": round(feed_rate),
        "router": {
            "seconds": round(router_s, 2),
            "eps": round(args.events / router_s),
            "cpu_us_per_event": round(router_cpu_us, 1),
        },
        "peer": {
            "name": "plain aiokafka consume-route-produce loop",
            "seconds": round(peer_s, 2),
            "eps": round(args.events / peer_s),
        },
        "ratio_router_to_peer": round(peer_s / router_s, 2),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"router-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
