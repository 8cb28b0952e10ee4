"""`mixflow deadletter list | show | replay`: inspect refused messages and re-inject fixed ones.

A letter is named by its place on the dead-letter topic, `PARTITION:OFFSET`. `replay` sends the
original key, value and headers back to the inbound topic, or a fixed event from `--file`; a
letter whose payload was withheld (it held a direct identifier) can only be replayed from a file.
"""

import base64
from pathlib import Path

import orjson
import typer
from kafka import KafkaConsumer, TopicPartition
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from schemas.deadletters import DeadLetterV1
from schemas.topics import EVENTS_DEADLETTER, EVENTS_INBOUND
from services.adapters.kafka import kafka_python_options, reliable_producer, topic_name
from services.adapters.settings import KafkaSettings
from services.cli.output import fail, load_settings

app = typer.Typer(help="Inspect and replay dead-lettered events.", no_args_is_help=True)
Letter = tuple[int, int, DeadLetterV1]


def read_letters(kafka: KafkaSettings) -> list[Letter]:
    """Every letter on the dead-letter topic, as (partition, offset, letter), oldest first."""
    topic = topic_name(kafka, EVENTS_DEADLETTER)
    consumer = KafkaConsumer(
        client_id="mixflow-deadletter", enable_auto_commit=False, **kafka_python_options(kafka)
    )
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        letters: list[Letter] = []
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            for records in consumer.poll(timeout_ms=1000).values():
                for record in records:
                    try:
                        letter = DeadLetterV1.model_validate_json(record.value)
                    except ValidationError:
                        continue
                    letters.append((record.partition, record.offset, letter))
        return sorted(letters, key=lambda item: item[2].received_at)
    finally:
        consumer.close()


def _find(kafka: KafkaSettings, ref: str) -> DeadLetterV1:
    partition, _, offset = ref.partition(":")
    if not (partition.isdigit() and offset.isdigit()):
        fail("name a letter as PARTITION:OFFSET (see `mixflow deadletter list`)", code=2)
    for p, o, letter in read_letters(kafka):
        if (p, o) == (int(partition), int(offset)):
            return letter
    fail(f"no dead letter at {ref}")


@app.command("list")
def list_letters(
    agency: str | None = typer.Option(None, "--agency", help="Only this agency's letters."),
    limit: int = typer.Option(50, "--limit", min=1, help="Show the latest N."),
) -> None:
    """List dead letters: where each came from, why, and whether its payload was kept."""
    letters = [item for item in read_letters(load_settings().kafka)
               if agency is None or item[2].agency == agency]  # fmt: skip
    table = Table("letter", "received", "agency", "from", "group", "reasons", "payload")
    for partition, offset, letter in letters[-limit:]:
        table.add_row(
            f"{partition}:{offset}",
            f"{letter.received_at:%Y-%m-%d %H:%M:%S}",
            letter.agency or "-",
            f"{letter.topic}[{letter.partition}]@{letter.offset}",
            letter.consumer_group or "-",
            "; ".join(sorted({p.kind for p in letter.problems})),
            f"withheld ({letter.withheld})" if letter.withheld else f"{letter.payload_size} B",
        )
    Console(width=160).print(table)
    typer.echo(f"{len(letters)} dead letter(s)", err=True)


@app.command("show")
def show(ref: str = typer.Argument(..., help="PARTITION:OFFSET of the letter.")) -> None:
    """Print one letter as JSON, with its original value decoded when it was kept."""
    letter = _find(load_settings().kafka, ref)
    shown = letter.model_dump(mode="json")
    if letter.original_value is not None:
        raw = base64.b64decode(letter.original_value)
        try:
            shown["original_value_decoded"] = orjson.loads(raw)
        except orjson.JSONDecodeError:
            shown["original_value_decoded"] = raw.decode("utf-8", "replace")
    typer.echo(orjson.dumps(shown, option=orjson.OPT_INDENT_2).decode())


@app.command("replay")
def replay(
    ref: str = typer.Argument(..., help="PARTITION:OFFSET of the letter."),
    file: Path | None = typer.Option(None, "--file", help="A fixed event (structured JSON)."),
) -> None:
    """Send a letter's original message (or the fixed event in --file) to the inbound topic."""
    kafka = load_settings().kafka
    letter = _find(kafka, ref)
    if file is not None:
        value = file.read_bytes()
        try:
            event = orjson.loads(value)
        except orjson.JSONDecodeError:
            fail(f"{file} is not JSON", code=2)
        subject = event.get("subject") if isinstance(event, dict) else None
        key, headers = (subject.encode() if isinstance(subject, str) else None), []
    elif letter.withheld or letter.original_value is None:
        fail(f"the payload of {ref} was not kept ({letter.withheld}); replay with --file FIXED")
    else:
        value = base64.b64decode(letter.original_value)
        key = base64.b64decode(letter.original_key) if letter.original_key else None
        headers = [(h.name, base64.b64decode(h.value)) for h in letter.original_headers]
    producer = reliable_producer(kafka, client_id="mixflow-deadletter-replay")
    try:
        sent = producer.send(topic_name(kafka, EVENTS_INBOUND), value=value, key=key,
                             headers=headers).get(timeout=30)  # fmt: skip
    finally:
        producer.close()
    typer.echo(f"replayed {ref} to {sent.topic}[{sent.partition}]@{sent.offset}")
