"""The SQL outbox on SQLite and PostgreSQL: a run of messages shares a row, every one leaves.

A decision's changes (one topic, one key) are stored as one row; the relay must still get each
message, with its own id and payload, in the order written, and delete them once published.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, func, insert, select, text

from services.adapters.db.engine import create_engine_for
from services.adapters.db.migrate import alembic_config, migrate
from services.adapters.db.outbox import BUNDLE_LIMIT, OutboxReader
from services.adapters.db.tables import OutboxRow
from services.adapters.db.uow import SqlUnitOfWork, session_factory_for
from services.domain.cases.model import OutboxMessage

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
CHANGES, ALERTS = "mixflow.cases.changes", "mixflow.alerts"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    migrate(db_url)
    engine = create_engine_for(db_url)
    yield engine
    engine.dispose()


def _message(case: str, seq: int, topic: str = CHANGES) -> OutboxMessage:
    payload = f'{{"case_id":"{case}","sequence":{seq},"note":"line\\\\nbreak"}}'
    return OutboxMessage(f"{case}/{seq}", topic, f"p_{case}", payload, T0)


def _write(engine: Engine, messages: list[OutboxMessage]) -> None:
    with SqlUnitOfWork(session_factory_for(engine)) as uow:
        uow.outbox.add_many(messages)
        uow.commit()


def _rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(OutboxRow)).scalar_one())


def test_each_message_leaves_in_order_though_runs_share_a_row(engine: Engine) -> None:
    written = [
        *(_message("c1", n) for n in (1, 2, 4)),
        _message("c2", 1),
        _message("c1", 5),  # same case after another: a run of its own
        _message("c1", 6, topic=ALERTS),  # same key, other topic: a run of its own
        *(_message("c3", n) for n in range(1, BUNDLE_LIMIT + 3)),  # longer than a row holds
    ]
    _write(engine, written)
    assert _rows(engine) == 1 + 1 + 1 + 1 + 2

    reader = OutboxReader(session_factory_for(engine))
    batch = reader.take(100)
    try:
        taken = [(m.message_id, m.topic, m.key, m.payload) for m in batch.messages]
        assert batch.rows == 6
        batch.delete_published()
    finally:
        batch.release()
    assert taken == [(m.message_id, m.topic, m.key, m.payload) for m in written]
    assert reader.pending() == 0 == _rows(engine)
    assert reader.take(100).messages == []


def test_the_relay_takes_at_most_its_limit_of_rows(engine: Engine) -> None:
    _write(engine, [_message(f"c{n}", s) for n in range(5) for s in (1, 2, 3)])
    reader = OutboxReader(session_factory_for(engine))
    batch = reader.take(2)
    try:
        assert batch.rows == 2
        assert [m.message_id for m in batch.messages] == [
            f"c{n}/{s}" for n in (0, 1) for s in (1, 2, 3)
        ]
        batch.delete_published()
    finally:
        batch.release()
    assert reader.pending() == 3
    rest = reader.take(100)
    try:  # the next round starts after what was deleted
        assert [m.message_id for m in rest.messages][:3] == ["c2/1", "c2/2", "c2/3"]
    finally:
        rest.release()


def test_rows_released_unpublished_are_taken_again(engine: Engine) -> None:
    _write(engine, [_message("c1", 1), _message("c2", 1)])
    reader = OutboxReader(session_factory_for(engine))
    first = reader.take(10)
    first.release()  # the broker refused, or the relay crashed before deleting
    again = reader.take(10)
    try:
        assert [m.message_id for m in again.messages] == ["c1/1", "c2/1"]
    finally:
        again.release()
    assert reader.pending() == 2


def test_upgrading_drops_published_rows_and_keeps_the_unpublished(db_url: str) -> None:
    config = alembic_config(db_url)
    command.upgrade(config, "0007")
    engine = create_engine_for(db_url)
    try:
        with engine.begin() as connection:
            for n, published in ((1, T0), (2, None), (3, T0), (4, None)):
                connection.execute(
                    text(
                        "INSERT INTO outbox (message_id, topic, key, payload, created_at, "
                        "published_at) VALUES (:id, :topic, 'p_c1', '{}', :at, :published)"
                    ),
                    {"id": f"c1/{n}", "topic": CHANGES, "at": T0, "published": published},
                )
        command.upgrade(config, "0008")
        batch = OutboxReader(session_factory_for(engine)).take(10)
        try:
            assert [m.message_id for m in batch.messages] == ["c1/2", "c1/4"]
        finally:
            batch.release()
        command.downgrade(config, "0007")
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT message_id, published_at FROM outbox"))
            assert sorted(rows.all()) == [("c1/2", None), ("c1/4", None)]
    finally:
        engine.dispose()


def test_a_row_of_one_message_written_before_runs_were_stored_reads_the_same(
    engine: Engine,
) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(OutboxRow).values(  # type: ignore[arg-type]
                message_id="c9/1", topic=CHANGES, key="p_c9", payload='{"a":1}', created_at=T0
            )
        )
    batch = OutboxReader(session_factory_for(engine)).take(10)
    try:
        assert [(m.message_id, m.payload) for m in batch.messages] == [("c9/1", '{"a":1}')]
    finally:
        batch.release()


def test_a_downgrade_refuses_while_rows_of_several_messages_remain(
    db_url: str, engine: Engine
) -> None:
    _write(engine, [_message("c1", 1), _message("c1", 2)])
    with pytest.raises(RuntimeError, match="several messages"):
        command.downgrade(alembic_config(db_url), "0005")
    with engine.connect() as connection:
        ids = connection.execute(select(OutboxRow.message_id)).scalars().all()  # type: ignore[arg-type]
    assert ids == ["c1/1\nc1/2"]


def _payload_compression(engine: Engine) -> list[str | None]:
    with engine.connect() as connection:
        query = text("SELECT pg_column_compression(payload) FROM outbox ORDER BY id")
        return list(connection.execute(query).scalars())


def test_postgres_compresses_a_decisions_changes_with_lz4_and_reads_them_back(
    pg_url: str,
) -> None:
    migrate(pg_url)
    engine = create_engine_for(pg_url)
    try:
        # A decision's changes run to a few KB, past the size PostgreSQL compresses from.
        note = "x" * 400
        written = [
            OutboxMessage(f"c1/{n}", CHANGES, "p_c1", f'{{"sequence":{n},"note":"{note}"}}', T0)
            for n in range(1, 7)
        ]
        _write(engine, written)
        assert _payload_compression(engine) == ["lz4"]
        batch = OutboxReader(session_factory_for(engine)).take(10)
        try:
            assert [m.payload for m in batch.messages] == [m.payload for m in written]
        finally:
            batch.release()
        command.downgrade(alembic_config(pg_url), "0006")
        _write(
            engine,
            [
                OutboxMessage(f"c2/{n}", CHANGES, "p_c2", m.payload, T0)
                for n, m in enumerate(written)
            ],
        )
        assert _payload_compression(engine) == ["lz4", "pglz"]
    finally:
        engine.dispose()
