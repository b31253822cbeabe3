"""The webhook outbox does not grow: delivered events go after a day, and with no URL
configured the queued ones after an hour; an event still to deliver stays."""

import psycopg

from app.persistence.db import create_engine
from app.persistence.statements import Statements
from app.services import webhooks

DAY, HOUR = 86400.0, 3600.0


def event(sql: psycopg.Connection, age: str, fanned_out: bool, delivered: bool | None) -> int:
    """An event queued ``age`` ago, with one delivery (done or not) when ``delivered`` is set."""
    row = sql.execute(
        "INSERT INTO webhook_event (event, data, created_at, fanned_out)"
        " VALUES ('consultation.ended', '{}', now() - %s::interval, %s) RETURNING id",
        (age, fanned_out),
    ).fetchone()
    assert row is not None
    if delivered is not None:
        sql.execute(
            "INSERT INTO webhook_delivery (event_id, url, delivered_at)"
            " VALUES (%s, 'http://127.0.0.1:9/x', CASE WHEN %s THEN now() END)",
            (row[0], delivered),
        )
    return row[0]


async def test_purge_keeps_only_what_is_still_owed(fresh_url: str, sql: psycopg.Connection):
    delivered_old = event(sql, "2 days", True, True)
    delivered_recent = event(sql, "2 hours", True, True)
    owed_old = event(sql, "2 days", True, False)
    unsent_old = event(sql, "2 hours", False, None)
    unsent_recent = event(sql, "5 minutes", False, None)
    engine = create_engine(fresh_url)
    try:
        statements = Statements(engine)
        assert await webhooks.purge(statements, DAY, None) == 1
        left = {row[0] for row in sql.execute("SELECT id FROM webhook_event")}
        assert left == {delivered_recent, owed_old, unsent_old, unsent_recent}
        assert await webhooks.purge(statements, DAY, HOUR) == 1
    finally:
        await engine.dispose()
    left = {row[0] for row in sql.execute("SELECT id FROM webhook_event")}
    assert delivered_old not in left and unsent_old not in left
    assert left == {delivered_recent, owed_old, unsent_recent}
