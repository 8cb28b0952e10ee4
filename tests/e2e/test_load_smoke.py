"""The Kafka Locust user runs headless against the test broker and every send is counted.

A few seconds of load only: the load tests and benchmarks themselves are run by hand (see
loadtests/README.md and the README's Performance section), this proves they still start.
"""

import csv
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, TopicFactory


def test_the_kafka_user_reports_each_acknowledged_send_to_locust(
    kafka_broker: str, topic_factory: TopicFactory, tmp_path: Path
) -> None:
    topic = topic_factory("loadsmoke")
    env = {
        **os.environ,
        "MIXFLOW_KAFKA__BOOTSTRAP": kafka_broker,
        "MIXFLOW_KAFKA__TOPIC_PREFIX": "",
        "MIXFLOW_LOADTEST_TOPIC": topic,
        "MIXFLOW_LOADTEST_KAFKA_RATE": "100",
    }
    locust = Path(sys.executable).with_name("locust")
    done = subprocess.run(
        [
            str(locust),
            "-f",
            "kafka_user.py",
            "--headless",
            "-u",
            "2",
            "-r",
            "2",
            "-t",
            "5s",
            "--only-summary",
            "--csv",
            str(tmp_path / "smoke"),
        ],
        cwd=REPO / "loadtests",
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with (tmp_path / "smoke_stats.csv").open() as stats:
        rows = {row["Name"]: row for row in csv.DictReader(stats)}
    sends = rows[f"produce {topic}"]
    assert int(sends["Request Count"]) > 100
    assert int(sends["Failure Count"]) == 0
