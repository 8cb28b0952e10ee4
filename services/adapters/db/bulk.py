"""Bulk writes on PostgreSQL through COPY: one stream per table instead of a statement per row.

A batch of decisions writes tens of thousands of rows; sent as pipelined INSERTs each row still
costs a parse of its parameters, a protocol message and an executor start on the server, which
measured as most of a batch's time. COPY streams the same rows as one command.

`copy_into` appends rows to a table as they are (a plain INSERT: a key clash fails the
transaction, as it must). `stage` copies rows into a per-connection temporary table shaped like
the target, so one `INSERT ... SELECT ... ON CONFLICT` can then upsert or claim them all.
`from_arrays` is the other way to upsert or claim: the rows travel as one array per column in
a single statement (`INSERT ... SELECT ... FROM unnest(...)`), one round trip where staging
needs three. It serves the small, hot writes of every casework transaction, whose fixed cost
is mostly round trips; COPY stays for the wide, many-row tables.
Only PostgreSQL comes here; SQLite keeps its executemany path, which is already in-process.
"""

from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from psycopg.types.json import set_json_dumps
from sqlalchemy import Connection
from sqlalchemy.orm import Session


def driver_connection(bind: Session | Connection) -> Any:
    """The psycopg connection under a session or connection, inside its current transaction."""
    connection = bind.connection() if isinstance(bind, Session) else bind
    return connection.connection.driver_connection


def copy_into(
    bind: Session | Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    types: Sequence[str] | None = None,
) -> None:
    """COPY rows (tuples in `columns` order) into `table`.

    With `types` (PostgreSQL type names, one per column) the rows go in binary format, which
    spares both ends formatting and parsing timestamps as text; JSON columns then take
    `Jsonb(value)`.
    """
    names = ", ".join(columns)
    binary = " (FORMAT BINARY)" if types else ""
    cursor = driver_connection(bind).cursor()
    set_json_dumps(orjson.dumps, context=cursor)
    with cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN{binary}") as copy:
        if types:
            copy.set_types(list(types))
        for row in rows:
            copy.write_row(row)


def stage(
    bind: Session | Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> str:
    """COPY rows into an empty temporary twin of `table`; return the twin's name.

    The twin lives as long as the connection and is emptied at every commit (and by the
    rollback of the rows themselves), so each transaction starts from an empty one.
    """
    twin = f"stage_{table}"
    with driver_connection(bind).cursor() as cursor:
        # Constraints are not copied: the target's own constraints judge the rows on insert.
        # Both statements in one simple query: one round trip instead of two per batch.
        # The DELETE empties the twin when a transaction stages the same table twice.
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {twin} (LIKE {table}) ON COMMIT DELETE ROWS; "
            f"DELETE FROM {twin}"
        )
    copy_into(bind, twin, columns, rows)
    return twin


def from_arrays(
    bind: Session | Connection,
    statement: str,
    columns: Sequence[str],
    types: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> list[tuple[Any, ...]]:
    """Run `statement` with `{rows}` standing for the rows as a table; return what it returns.

    `{rows}` becomes `unnest(%s::type[], ...) AS staged(columns)`: the rows go as one array per
    column (`types` are PostgreSQL type names, one per column).
    """
    arrays: list[list[Any]] = [[] for _ in columns]
    for row in rows:
        for array, value in zip(arrays, row, strict=True):
            array.append(value)
    unnest = ", ".join(f"%s::{kind}[]" for kind in types)
    table = f"unnest({unnest}) AS staged({', '.join(columns)})"
    with driver_connection(bind).cursor() as cursor:
        cursor.execute(statement.replace("{rows}", table), arrays)
        return cursor.fetchall() if cursor.description is not None else []
