"""A minimal Faust app with a table, run as a real worker process by the foundation tests."""

import os

import faust

app = faust.App(
    os.environ["SAMPLE_APP_ID"],
    broker=f"kafka://{os.environ['SAMPLE_BROKER']}",
    store="memory://",
    datadir=os.environ["SAMPLE_DATADIR"],
    topic_partitions=1,
    topic_replication_factor=1,
    web_enabled=False,
)
source = app.topic(os.environ["SAMPLE_IN"], key_type=str, value_serializer="raw")
sink = app.topic(os.environ["SAMPLE_OUT"], key_type=str, value_serializer="raw")
counts = app.Table("counts", default=int, partitions=1)


@app.agent(source)
async def count(stream: faust.StreamT[bytes]) -> None:
    async for key, _value in stream.items():
        counts[key] += 1
        await sink.send(key=key, value=str(counts[key]).encode())
