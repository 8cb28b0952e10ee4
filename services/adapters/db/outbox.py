"""The transactional outbox in SQL: written inside a unit of work, drained by one relay at a time.

`SqlOutbox` is the unit of work's door (the `Outbox` port). `OutboxReader` is the relay's: it
takes the oldest rows in a transaction that excludes other relays (an advisory transaction lock
on PostgreSQL; SQLite's write lock, taken at BEGIN, already excludes them), so rows leave in id
order, and deletes them in that same transaction after the broker acknowledged them: every row
in the table is unpublished. A crash before that commit leaves them in place: they are sent
again, under the same message ids. Deleting, not marking, because a mark rewrote the whole row
and an entry in each index, four times the time of a delete (migration `0008`).

One row may carry several messages: consecutive messages of one topic and key (the changes one
decision makes to a case, up to `BUNDLE_LIMIT`) share a row, their ids and their payloads each
joined by newlines, which neither contains (ids are generated; payloads are compact JSON). Every
message is still published as its own record under its own id; the rows are what cost: each is
written, read back and deleted once, and a decision makes three to five changes.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Table,
    any_,
    bindparam,
    delete,
    func,
    select,
)
from sqlalchemy.orm import Session, sessionmaker

from services.adapters.db import bulk
from services.adapters.db.mapping import aware
from services.adapters.db.tables import OutboxRow
from services.domain.cases.model import OutboxMessage

RELAY_LOCK = 0x6D78_6F62  # "mxob": the advisory lock key only outbox relays take
CHUNK = 1000
BUNDLE_LIMIT = 64
"""Messages one row carries at most."""
SEPARATOR = "\n"
_COLUMNS = ("message_id", "topic", "key", "payload", "created_at")
_TYPES = ("text", "text", "text", "text", "timestamptz")


def _table() -> Table:
    table: Table = OutboxRow.__table__  # type: ignore[attr-defined]
    return table


class SqlOutbox:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_many(self, messages: Sequence[OutboxMessage]) -> None:
        if not messages:
            return
        rows = bundles(messages)
        if self.session.get_bind().dialect.name == "postgresql":
            # COPY keeps the messages' order, so ids (publication order) follow it as before.
            bulk.copy_into(self.session, "outbox", _COLUMNS, rows, types=_TYPES)
            return
        self.session.execute(
            _table().insert(), [dict(zip(_COLUMNS, row, strict=True)) for row in rows]
        )


def bundles(messages: Sequence[OutboxMessage]) -> Iterator[tuple[str, str, str, str, datetime]]:
    """Rows for `messages`, in order: each run of one topic and key (up to the limit) is one."""
    run: list[OutboxMessage] = []
    for message in messages:
        if SEPARATOR in message.message_id or SEPARATOR in message.payload:
            # Stored, it would read back as two messages: refuse it with the transaction.
            raise ValueError(f"outbox message {message.message_id!r} contains a line break")
        if run and (
            len(run) == BUNDLE_LIMIT or message.topic != run[0].topic or message.key != run[0].key
        ):
            yield _row(run)
            run = []
        run.append(message)
    if run:
        yield _row(run)


def _row(run: list[OutboxMessage]) -> tuple[str, str, str, str, datetime]:
    first = run[0]
    ids = SEPARATOR.join(m.message_id for m in run)
    return ids, first.topic, first.key, SEPARATOR.join(m.payload for m in run), aware(first.at)


@dataclass(frozen=True, slots=True)
class PendingMessage:
    message_id: str
    topic: str
    key: str
    payload: str


class PendingBatch:
    """Unpublished rows held by this relay until `delete_published` or `release`."""

    def __init__(
        self, session: Session, row_ids: list[int], messages: list[PendingMessage]
    ) -> None:
        self._session = session
        self.row_ids = row_ids
        self.messages = messages

    @property
    def rows(self) -> int:
        return len(self.row_ids)

    def delete_published(self) -> None:
        """Delete the rows, every message of which the broker acknowledged, and commit."""
        table = _table()
        ids = self.row_ids
        if ids and self._session.get_bind().dialect.name == "postgresql":
            # One array parameter: an IN list of a thousand placeholders cost more to bind
            # than the delete itself.
            matching = table.c.id == any_(bindparam("ids", ids, type_=ARRAY(BigInteger())))
            self._session.execute(delete(table).where(matching))
            ids = []
        for start in range(0, len(ids), CHUNK):
            self._session.execute(delete(table).where(table.c.id.in_(ids[start : start + CHUNK])))
        self._session.commit()

    def release(self) -> None:
        self._session.close()


class OutboxReader:
    """The relay's side of the outbox: take pending rows, count them."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def take(self, limit: int) -> PendingBatch:
        """The oldest `limit` rows' messages, or none while another relay holds the outbox."""
        session = self._sessions()
        try:
            if not _relay_lock(session):
                return PendingBatch(session, [], [])
            table = _table()
            query = (
                select(table.c.id, table.c.message_id, table.c.topic, table.c.key, table.c.payload)
                .order_by(table.c.id)
                .limit(limit)
            )
            rows = session.execute(query).all()
        except BaseException:
            session.close()
            raise
        row_ids = [row[0] for row in rows]
        return PendingBatch(session, row_ids, [m for row in rows for m in _unbundled(*row[1:])])

    def pending(self) -> int:
        with self._sessions() as session:
            table = _table()
            return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def _unbundled(message_ids: str, topic: str, key: str, payloads: str) -> Iterator[PendingMessage]:
    for message_id, payload in zip(
        message_ids.split(SEPARATOR), payloads.split(SEPARATOR), strict=True
    ):
        yield PendingMessage(message_id, topic, key, payload)


def _relay_lock(session: Session) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.execute(select(func.pg_try_advisory_xact_lock(RELAY_LOCK))).scalar_one())
