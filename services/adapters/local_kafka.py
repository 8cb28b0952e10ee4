"""A single-node Apache Kafka broker in KRaft mode, assembled from Maven Central jars.

The broker's jars are fetched once by Maven (`deploy/kafka/pom.xml`) into the cache folder; data,
configuration and logs live in the state folder. `up` is idempotent: a running broker of ours is
reused. Nothing here is imported by the services: it is tooling for local runs and tests.
"""

import base64
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from services.adapters.processes import is_alive, is_ours, port_open, read_pid, stop_process, tail
from services.adapters.settings import KafkaSettings

DEPLOY_DIR = Path(__file__).resolve().parents[2] / "deploy" / "kafka"


class BrokerError(RuntimeError):
    """The broker could not be fetched or started; the message says why and where to look."""


@dataclass(frozen=True)
class BrokerPaths:
    libs: Path
    home: Path

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def config(self) -> Path:
        return self.home / "server.properties"

    @property
    def pid_file(self) -> Path:
        return self.home / "broker.pid"

    @property
    def stdout(self) -> Path:
        return self.logs / "broker.out"

    @property
    def server_log(self) -> Path:
        return self.logs / "server.log"


def broker_paths(settings: KafkaSettings, state_dir: Path, cache_dir: Path) -> BrokerPaths:
    return BrokerPaths(
        libs=cache_dir / f"kafka-{settings.version}" / "libs",
        home=state_dir / f"kafka-{settings.port}",
    )


def fetch_jars(settings: KafkaSettings, paths: BrokerPaths) -> None:
    """Download the broker's jars with Maven unless a complete copy is already cached."""
    marker = paths.libs / ".complete"
    if marker.exists():
        return
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BrokerError("Maven (mvn) is not on PATH; install Maven 3.8+ and Java 17+")
    paths.libs.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            mvn,
            "-q",
            "-B",
            "-f",
            str(DEPLOY_DIR / "pom.xml"),
            f"-Dkafka.version={settings.version}",
            f"-Dlibs.dir={paths.libs}",
            "dependency:copy-dependencies",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BrokerError(
            f"Maven could not fetch Kafka {settings.version}:\n{result.stdout[-2000:]}"
        )
    marker.write_text(settings.version)


def write_config(settings: KafkaSettings, paths: BrokerPaths) -> None:
    host, port, cport = settings.host, settings.port, settings.controller_port
    paths.data.mkdir(parents=True, exist_ok=True)
    paths.logs.mkdir(parents=True, exist_ok=True)
    paths.config.write_text(
        "\n".join(
            [
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.voters=1@{host}:{cport}",
                f"listeners=PLAINTEXT://{host}:{port},CONTROLLER://{host}:{cport}",
                f"advertised.listeners=PLAINTEXT://{host}:{port}",
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                "inter.broker.listener.name=PLAINTEXT",
                f"log.dirs={paths.data}",
                f"num.partitions={settings.partitions}",
                # A single node cannot replicate: internal topics must accept one replica.
                "offsets.topic.replication.factor=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "default.replication.factor=1",
                "min.insync.replicas=1",
                # Consumers join at once instead of waiting 3 s for more members.
                "group.initial.rebalance.delay.ms=0",
                "auto.create.topics.enable=true",
                "log.retention.hours=168",
                "log.segment.bytes=268435456",
                "message.max.bytes=2097152",
                "",
            ]
        )
    )


def _cluster_id(paths: BrokerPaths) -> str:
    id_file = paths.home / "cluster.id"
    if not id_file.exists():
        cluster_id = "-"
        while cluster_id.startswith("-"):  # as Kafka's own ids: never read as an option
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        id_file.write_text(cluster_id)
    return id_file.read_text().strip()


def _java(heap: str, paths: BrokerPaths, main: str, *args: str) -> list[str]:
    java = shutil.which("java")
    if java is None:
        raise BrokerError("Java is not on PATH; install a Java 17+ runtime")
    return [
        java,
        f"-Xms{heap}",
        f"-Xmx{heap}",
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dkafka.logs.dir={paths.logs}",
        f"-Dlog4j.configuration=file:{DEPLOY_DIR / 'log4j.properties'}",
        "-cp",
        f"{paths.libs}/*",
        main,
        *args,
    ]


def format_storage(settings: KafkaSettings, paths: BrokerPaths) -> None:
    cmd = _java(
        "256m",
        paths,
        "kafka.tools.StorageTool",
        "format",
        f"--cluster-id={_cluster_id(paths)}",
        "-c",
        str(paths.config),
        "--ignore-formatted",
    )
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BrokerError(f"formatting storage failed:\n{result.stdout}{result.stderr}")


def serves_metadata(bootstrap: str, timeout_s: float = 3.0) -> bool:
    """True when the broker answers a metadata request (not just an open port)."""
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap,
            request_timeout_ms=int(timeout_s * 1000),
            client_id="mixflow-probe",
        )
    except (KafkaError, OSError, ValueError):
        return False
    try:
        admin.list_topics()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        admin.close()


def status(settings: KafkaSettings, paths: BrokerPaths) -> dict[str, object]:
    pid = read_pid(paths.pid_file)
    running = is_ours(pid, str(paths.config))
    return {
        "running": running,
        "pid": pid if running else None,
        "bootstrap": settings.bootstrap,
        "serving": running and serves_metadata(settings.bootstrap),
        "version": settings.version,
        "data": str(paths.data),
        "log": str(paths.server_log),
    }


def up(settings: KafkaSettings, paths: BrokerPaths) -> tuple[int, bool]:
    """Start the broker (or reuse ours); return (pid, started_now) once it serves metadata."""
    pid = read_pid(paths.pid_file)
    if is_ours(pid, str(paths.config)) and pid is not None:
        _wait_until_serving(settings, paths, pid)
        return pid, False
    if port_open(settings.host, settings.port) or port_open(
        settings.host, settings.controller_port
    ):
        raise BrokerError(
            f"port {settings.port} or {settings.controller_port} on {settings.host} is taken by "
            "another process; set MIXFLOW_KAFKA__BOOTSTRAP / MIXFLOW_KAFKA__CONTROLLER_PORT"
        )
    fetch_jars(settings, paths)
    write_config(settings, paths)
    format_storage(settings, paths)
    with paths.stdout.open("ab") as out:
        process = subprocess.Popen(
            _java(settings.heap, paths, "kafka.Kafka", str(paths.config)),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # survives the CLI that started it
        )
    paths.pid_file.write_text(str(process.pid))
    _wait_until_serving(settings, paths, process.pid)
    return process.pid, True


def _wait_until_serving(settings: KafkaSettings, paths: BrokerPaths, pid: int) -> None:
    deadline = time.monotonic() + settings.start_timeout_s
    while time.monotonic() < deadline:
        # The command line reads empty for a moment while the JVM starts: test liveness only.
        if not is_alive(pid):
            raise BrokerError(
                f"the broker exited during start-up. Last lines of {paths.stdout}:\n"
                f"{tail(paths.stdout)}\n{tail(paths.server_log)}\nfull log: {paths.server_log}"
            )
        if serves_metadata(settings.bootstrap, timeout_s=2.0):
            return
        time.sleep(0.5)
    raise BrokerError(
        f"the broker did not serve metadata within {settings.start_timeout_s:.0f} s; "
        f"see {paths.server_log}"
    )


def down(paths: BrokerPaths) -> bool:
    """Stop our broker if it runs; True if one was stopped."""
    pid = read_pid(paths.pid_file)
    if pid is None or not is_ours(pid, str(paths.config)):
        paths.pid_file.unlink(missing_ok=True)
        return False
    stop_process(pid, timeout_s=60.0)
    paths.pid_file.unlink(missing_ok=True)
    return True
