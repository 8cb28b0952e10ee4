"""Case stores for the contract suite: in memory, on SQLite and on PostgreSQL.

`db_url` gives a fresh, migrated-nothing database of each real kind; `store` gives a factory of
units of work over a migrated one, and over the in-memory fake that must behave the same.
"""

from collections.abc import Callable, Iterator

import pytest

from services.adapters.db.engine import create_engine_for
from services.adapters.db.memory import InMemoryUnitOfWork, MemoryState
from services.adapters.db.migrate import migrate
from services.adapters.db.uow import SqlUnitOfWork, session_factory_for
from services.domain.cases.ports import UnitOfWork

UowFactory = Callable[[], UnitOfWork]


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """The URL of a fresh, empty database: a SQLite file or a PostgreSQL database."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> Iterator[UowFactory]:
    """A factory of units of work over one empty, migrated case store."""
    if request.param == "memory":
        state = MemoryState()
        yield lambda: InMemoryUnitOfWork(state)
        return
    url = str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))
    migrate(url)
    engine = create_engine_for(url)
    sessions = session_factory_for(engine)
    yield lambda: SqlUnitOfWork(sessions)
    # Connections must be closed before the PostgreSQL fixture drops the database.
    engine.dispose()
