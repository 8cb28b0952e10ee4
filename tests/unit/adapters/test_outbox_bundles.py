"""Outbox rows: runs of one topic and key share a row; a message that could not be split back
out of one is refused before it is stored."""

from datetime import UTC, datetime

import pytest

from services.adapters.db.outbox import BUNDLE_LIMIT, bundles
from services.domain.cases.model import OutboxMessage

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def _message(ident: str, key: str = "p_1", topic: str = "changes") -> OutboxMessage:
    return OutboxMessage(ident, topic, key, f'{{"id":"{ident}"}}', T0)


def test_runs_break_on_a_new_key_a_new_topic_and_the_row_limit() -> None:
    messages = [
        _message("a/1"),
        _message("a/2"),
        _message("b/1", key="p_2"),
        _message("b/2", key="p_2", topic="alerts"),
        *(_message(f"c/{n}", key="p_3") for n in range(BUNDLE_LIMIT + 1)),
    ]
    rows = list(bundles(messages))
    assert [row[0].split("\n")[0] for row in rows] == [
        "a/1",
        "b/1",
        "b/2",
        "c/0",
        f"c/{BUNDLE_LIMIT}",
    ]
    assert rows[0][0] == "a/1\na/2" and rows[0][3] == '{"id":"a/1"}\n{"id":"a/2"}'
    assert [len(row[0].split("\n")) for row in rows] == [2, 1, 1, BUNDLE_LIMIT, 1]


@pytest.mark.parametrize(
    "message",
    [
        OutboxMessage("a/1", "changes", "p_1", '{\n"id": 1}', T0),
        OutboxMessage("a\n1", "changes", "p_1", "{}", T0),
    ],
)
def test_a_message_with_a_line_break_is_refused(message: OutboxMessage) -> None:
    with pytest.raises(ValueError, match="line break"):
        list(bundles([_message("x/1"), message]))
