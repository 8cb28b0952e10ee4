"""`mixflow topics create | list`: the topics of PRODUCT.md §6 on the configured cluster."""

import typer

from schemas.topics import RULES, TOPICS
from services.adapters.kafka import ensure_topics, topic_name
from services.cli.output import fail, load_settings

app = typer.Typer(help="Create and list mixflow's Kafka topics.", no_args_is_help=True)

SINGLE_PARTITION = frozenset({RULES})
"""Published rulesets are read in publication order, so their topic has one partition."""


@app.command("create")
def create() -> None:
    """Create every missing topic with the configured partitions (idempotent)."""
    kafka = load_settings().kafka
    try:
        spread = [
            (topic_name(kafka, t.name), t.compacted)
            for t in TOPICS
            if t.name not in SINGLE_PARTITION
        ]
        single = [
            (topic_name(kafka, t.name), t.compacted) for t in TOPICS if t.name in SINGLE_PARTITION
        ]
        created = ensure_topics(kafka, spread) + ensure_topics(kafka, single, partitions=1)
    except Exception as exc:  # kafka-python raises many unrelated types for "no broker"
        fail(f"could not reach the broker at {kafka.bootstrap}: {type(exc).__name__}")
    typer.echo(f"created {len(created)} topics" + (": " + ", ".join(created) if created else ""))


@app.command("list")
def list_topics() -> None:
    """List mixflow's topics with their key and cleanup policy."""
    kafka = load_settings().kafka
    for topic in TOPICS:
        policy = "compact" if topic.compacted else "delete"
        typer.echo(f"{topic_name(kafka, topic.name):40} key={topic.key:12} {policy}")
