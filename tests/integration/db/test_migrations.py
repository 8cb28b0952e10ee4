"""The Alembic migrations build exactly the schema the table models declare, on both databases."""

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

from services.adapters.db import tables  # noqa: F401  (declares the tables on the metadata)
from services.adapters.db.engine import create_engine_for
from services.adapters.db.migrate import alembic_config, current_revision, head_revision, migrate

pytestmark = pytest.mark.integration

TABLES = {"cases", "referrals", "timeline", "processed_events", "audit_log"}


@pytest.fixture
def engine(db_url):
    engine = create_engine_for(db_url)
    yield engine
    engine.dispose()


def test_migrating_an_empty_database_gives_exactly_the_models_schema(db_url, engine):
    assert migrate(db_url) == head_revision()
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []
    assert set(inspect(engine).get_table_names()) >= TABLES


def test_migrating_an_up_to_date_database_again_changes_nothing(db_url):
    migrate(db_url)
    assert migrate(db_url) == current_revision(db_url) == head_revision()


def test_the_database_refuses_to_change_or_delete_audit_entries(db_url, engine):
    migrate(db_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_log (actor, role, action, target, at, detail) "
                "VALUES ('op', 'operator', 'rules.publish', 'default', CURRENT_TIMESTAMP, '{}')"
            )
        )
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT actor FROM audit_log")).scalars().all() == ["op"]


def test_downgrading_to_base_removes_every_table_of_the_case_store(db_url, engine):
    migrate(db_url)
    command.downgrade(alembic_config(db_url), "base")
    assert not TABLES & set(inspect(engine).get_table_names())
    assert migrate(db_url) == head_revision()


def test_rekeying_flow_cells_keeps_every_count_both_ways(db_url, engine):
    migrate(db_url, "0008")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO flow_cells (part, measure, granularity, window_start, late, coords, "
                "count) VALUES (0, 'arrivals', 'hour', 3600, false, '[\"ITA\"]', 7), "
                "(1, 'arrivals', 'hour', 3600, false, '[\"ITA\"]', 5), "
                "(0, 'referrals', 'day', 86400, true, '[\"GRC\"]', 2)"
            )
        )

    def cells() -> list[tuple[object, ...]]:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT part, measure, coords, count FROM flow_cells"))
            return sorted(tuple(row) for row in rows)

    before = cells()
    migrate(db_url)
    key = inspect(engine).get_pk_constraint("flow_cells")["constrained_columns"]
    assert key == ["measure", "granularity", "late", "window_start", "coords", "part"]
    assert "ix_flow_cells_query" not in {
        i["name"] for i in inspect(engine).get_indexes("flow_cells")
    }
    assert cells() == before
    command.downgrade(alembic_config(db_url), "0008")
    inspector = inspect(engine)
    assert inspector.get_pk_constraint("flow_cells")["constrained_columns"][0] == "part"
    assert "ix_flow_cells_query" in {i["name"] for i in inspector.get_indexes("flow_cells")}
    assert cells() == before
