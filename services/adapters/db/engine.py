"""Engines for the case store: SQLite for a single process, PostgreSQL for real deployments.

Built by a composition root from `Settings.effective_database_url`; nothing connects at import.
"""

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_MS = 30_000  # a batch transaction under load can hold the lock for seconds


def create_engine_for(url: str, **overrides: Any) -> Engine:
    """An engine tuned for the URL's database; `overrides` go to `create_engine` as given."""
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url, overrides)
    options: dict[str, Any] = {
        "pool_pre_ping": True,  # survive a database restart without a failed first request
        "pool_recycle": 1800,  # stay under typical idle-connection cut-offs of proxies
    }
    if "poolclass" not in overrides:
        # A few connections per worker: each worker runs one transaction at a time.
        options |= {"pool_size": 5, "max_overflow": 10}
    return create_engine(url, **(options | overrides))


def _sqlite_engine(url: str, overrides: dict[str, Any]) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **overrides)
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control from the driver so `begin` below decides how to start one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; safe with WAL
    cursor.execute("PRAGMA foreign_keys=ON")  # off by default in SQLite
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # Units of work read then write; taking the write lock up front avoids SQLITE_BUSY on the
    # read-to-write upgrade when two processes share the file (they queue on busy_timeout).
    connection.exec_driver_sql("BEGIN IMMEDIATE")
