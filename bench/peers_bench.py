"""The router side by side with its peers, in one run: a plain aiokafka loop and Quix Streams.

    .venv/bin/python bench/peers_bench.py [--events 100000] [--bootstrap 127.0.0.1:9092]

Fills one inbound topic with generated events, then lets each implementation of the same
validate -> route -> emit path (same parser, same compiled ruleset, same decision JSON) route
all of them, one after the other, each in its own consumer group and to its own output topic:

- `aiokafka`: bench/peers/aiokafka_loop.py, the simplest batch loop a Python team would write;
- `quix`: bench/peers/quix_router.py, a Quix Streams application on librdkafka;
- `router`: the router service itself (batched loop, dead letters, de-duplication memory).

The whole pipeline is compared with the same peers through the latest `mixflow bench e2e`
result in bench/results (or `--e2e FILE`). Prints one JSON object, also written to
bench/results/peers-<UTC timestamp>.json.
"""

import argparse
import asyncio
import json
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.peers.aiokafka_loop import run_plain_loop
from bench.peers.quix_router import run_quix_router
from bench.router_bench import fill, run_router
from schemas.topics import DECISIONS, EVENTS_DEADLETTER, EVENTS_INBOUND, REFERRAL_UPDATES, RULES
from services.adapters.kafka import ensure_topics, topic_name
from services.adapters.settings import KafkaSettings, Settings
from services.adapters.worker import tune_gc
from services.router.app import DEFAULT_RULES_DIR
from services.router.rulesets import load_default

RESULTS = Path(__file__).resolve().parent / "results"


def latest_e2e(explicit: Path | None) -> dict[str, Any] | None:
    found = [explicit] if explicit else sorted(RESULTS.glob("e2e-*.json"))[-1:]
    if not found:
        return None
    data: dict[str, Any] = json.loads(found[0].read_text())
    return {
        "file": f"bench/results/{found[0].name}",  # relative: results outlive this machine
        "throughput_eps": data["throughput_eps"],
        "measured_at": data["measured_at"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--e2e", type=Path, default=None)
    args = parser.parse_args()

    kafka = KafkaSettings(
        bootstrap=args.bootstrap,
        partitions=args.partitions,
        topic_prefix=f"peers{uuid.uuid4().hex[:6]}.",
    )
    settings = Settings(kafka=kafka)
    inbound = topic_name(kafka, EVENTS_INBOUND)
    outputs = {name: topic_name(kafka, f"peer.{name}") for name in ("aiokafka", "quix")}
    names = [topic_name(kafka, t) for t in (DECISIONS, EVENTS_DEADLETTER, REFERRAL_UPDATES)]
    ensure_topics(kafka, [(n, False) for n in [inbound, *names, *outputs.values()]])
    ensure_topics(kafka, [(topic_name(kafka, RULES), True)], partitions=1)
    feed = fill(args.bootstrap, inbound, args.events)

    ruleset = load_default(DEFAULT_RULES_DIR)
    prefix = kafka.topic_prefix
    tune_gc()  # as the router's worker does (services/adapters/worker.py), for every contender
    seconds = {
        "aiokafka": asyncio.run(
            run_plain_loop(
                args.bootstrap,
                inbound,
                outputs["aiokafka"],
                f"{prefix}aiokafka",
                ruleset,
                args.events,
            )
        ),
        "quix": run_quix_router(
            args.bootstrap, inbound, outputs["quix"], f"{prefix}quix", ruleset, args.events
        ),
        "router": asyncio.run(run_router(settings, args.events))[0],
    }
    eps = {name: round(args.events / s) for name, s in seconds.items()}
    e2e = latest_e2e(args.e2e)
    result: dict[str, Any] = {
        "events": args.events,
        "partitions": args.partitions,
        "feed_eps": round(feed),
        "eps": eps,
        "seconds": {name: round(s, 2) for name, s in seconds.items()},
        "router_to_quix": round(eps["router"] / eps["quix"], 2),
        "router_to_aiokafka": round(eps["router"] / eps["aiokafka"], 2),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if e2e:
        result["pipeline"] = {
            **e2e,
            "to_quix": round(e2e["throughput_eps"] / eps["quix"], 3),
            "to_aiokafka": round(e2e["throughput_eps"] / eps["aiokafka"], 3),
        }
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"peers-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
