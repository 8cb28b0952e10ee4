"""The project's own PostgreSQL cluster from Debian's packages, on 127.0.0.1.

Kept apart from any system cluster: its own data folder, port, role and database. PostgreSQL
refuses to run as root, so when we are root the server runs as the `postgres` system user and its
data folder lives where that user may write.
"""

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from services.adapters.processes import port_open, tail
from services.adapters.settings import PostgresSettings, mask_url

INSTALL_SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "postgres" / "install.sh"


class PostgresError(RuntimeError):
    """The cluster could not be installed, created or started; the message says why."""


def masked_url(settings: PostgresSettings) -> str:
    return mask_url(settings.url())


def _bin_dir() -> Path | None:
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    return found[-1].parent if found else None


def _as_root() -> bool:
    return os.geteuid() == 0


def data_dir(settings: PostgresSettings, state_dir: Path) -> Path:
    if _as_root():
        return Path("/var/lib/postgresql") / f"mixflow-{settings.port}"
    return state_dir / f"postgres-{settings.port}"


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    if _as_root():
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, check=False, cwd="/")


def ensure_installed() -> Path:
    bin_dir = _bin_dir()
    if bin_dir is not None:
        return bin_dir
    result = subprocess.run(
        ["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, check=False
    )
    bin_dir = _bin_dir()
    if result.returncode != 0 or bin_dir is None:
        raise PostgresError(
            "PostgreSQL is not installed and could not be installed from Debian's packages "
            f"({INSTALL_SCRIPT}):\n{result.stderr[-2000:]}"
        )
    return bin_dir


def _init_cluster(bin_dir: Path, settings: PostgresSettings, data: Path) -> None:
    data.parent.mkdir(parents=True, exist_ok=True)
    data.mkdir(mode=0o700, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", delete=False, prefix="mixflow-pw-") as pw:
        pw.write(settings.password.get_secret_value())
    try:
        if _as_root():
            shutil.chown(data, "postgres", "postgres")
            shutil.chown(pw.name, "postgres", "postgres")
        result = _run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                settings.user,
                f"--pwfile={pw.name}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--no-locale",
            ]
        )
    finally:
        os.unlink(pw.name)
    if result.returncode != 0:
        raise PostgresError(f"initdb failed:\n{result.stdout[-1500:]}{result.stderr[-1500:]}")
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(
            f"\n# mixflow\nlisten_addresses = '{settings.host}'\nport = {settings.port}\n"
            f"unix_socket_directories = '{data}'\nmax_connections = 200\n"
            "shared_buffers = 256MB\n"
        )


def status(settings: PostgresSettings, state_dir: Path) -> dict[str, object]:
    data = data_dir(settings, state_dir)
    bin_dir = _bin_dir()
    running = (
        bool(bin_dir)
        and data.exists()
        and bin_dir is not None
        and _run([str(bin_dir / "pg_ctl"), "status", "-D", str(data)]).returncode == 0
    )
    return {
        "running": running,
        "host": settings.host,
        "port": settings.port,
        "data": str(data),
        "url": masked_url(settings),
        "log": str(data / "server.log"),
    }


def up(settings: PostgresSettings, state_dir: Path) -> bool:
    """Start the cluster (creating it first if needed); False if it already ran."""
    bin_dir = ensure_installed()
    data = data_dir(settings, state_dir)
    if status(settings, state_dir)["running"]:
        _ensure_database(settings)
        return False
    if port_open(settings.host, settings.port):
        raise PostgresError(
            f"port {settings.port} is taken by another process; set MIXFLOW_POSTGRES__PORT"
        )
    if not (data / "PG_VERSION").exists():
        _init_cluster(bin_dir, settings, data)
    log = data / "server.log"
    result = _run(
        [str(bin_dir / "pg_ctl"), "start", "-D", str(data), "-l", str(log), "-w", "-t", "60"]
    )
    if result.returncode != 0:
        raise PostgresError(f"PostgreSQL did not start:\n{tail(log)}\nfull log: {log}")
    _ensure_database(settings)
    return True


def admin_connection(settings: PostgresSettings) -> psycopg.Connection[tuple[object, ...]]:
    """An autocommit connection to the cluster's `postgres` database, for creating databases."""
    return psycopg.connect(
        host=settings.host,
        port=settings.port,
        user=settings.user,
        dbname="postgres",
        password=settings.password.get_secret_value(),
        autocommit=True,
    )


@contextmanager
def scratch_database(settings: PostgresSettings, prefix: str) -> Iterator[str]:
    """The URL of a new, empty database on a running cluster; dropped afterwards, even while
    connections to it are still open."""
    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    with admin_connection(settings) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield settings.url(name)
    finally:
        with admin_connection(settings) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _ensure_database(settings: PostgresSettings) -> None:
    with admin_connection(settings) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (settings.database,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{settings.database}"')


def down(settings: PostgresSettings, state_dir: Path) -> bool:
    bin_dir = _bin_dir()
    if bin_dir is None or not status(settings, state_dir)["running"]:
        return False
    data = data_dir(settings, state_dir)
    result = _run([str(bin_dir / "pg_ctl"), "stop", "-D", str(data), "-m", "fast", "-w"])
    return result.returncode == 0
