"""Consultation events as PostgreSQL notifications: how services publish them, and how an
instance reads them back.

A service publishes in the statement or the transaction of the change it announces, never
after it: ``hocovisio_publish`` (migration 0005) queues a ``NOTIFY`` that PostgreSQL sends at
the commit, to every instance, in the order of the commits. The writers of one consultation
already take turns on its row (``app.services.messages.lock_active``), so that its events
arrive everywhere in the order of the changes, and the instance that made one gets it like
the others do: once.

A notification is JSON: ``o`` the consultation, ``m`` the method, ``d`` its data, ``a`` the
audience (``Audience.to_json``) and ``k`` its kind: none for an event; ``end``, the last
event to every socket of the consultation, which closes them and its media; ``replace``,
sockets to close because their session opened newer ones. One too large for ``NOTIFY`` is
kept in ``cluster_event`` and the notification is ``{"o": .., "ref": id}``.
"""

import json
from dataclasses import dataclass
from typing import Any, LiteralString

from sqlmodel.ext.asyncio.session import AsyncSession

from app.persistence.statements import Statements, jsonb
from app.realtime.broker import Audience, Event

CHANNEL = "hocovisio"
# An instance's heartbeat, notified to its own channel (``CHANNEL_<id>``): "beat:<number>".
BEAT = "beat:"
PUBLISH = "SELECT hocovisio_publish(%(o)s, %(m)s, %(a)s, %(d)s, %(k)s)"
FETCH_KEPT = "SELECT payload FROM cluster_event WHERE id = %(id)s"
PURGE_KEPT = (
    "WITH gone AS (DELETE FROM cluster_event"
    " WHERE created_at < now() - make_interval(secs => %(age)s) RETURNING 1)"
    " SELECT count(*) FROM gone"
)
EVERYONE = Audience()


@dataclass(frozen=True)
class Notice:
    onetoone_id: int
    event: Event
    audience: Audience
    kind: str | None = None  # None, "end" or "replace"


def published(
    onetoone_id: LiteralString,
    method: LiteralString,
    audience: LiteralString,
    data: LiteralString,
    source: LiteralString,
    kind: LiteralString = "NULL",
) -> LiteralString:
    """A CTE's body that publishes ``method`` once per row of ``source`` (SQL: a CTE's name,
    a table), for the consultation ``onetoone_id``, to ``audience`` (SQL: the ``jsonb`` of an
    ``Audience``, or NULL for everyone) with ``data`` (SQL: a ``jsonb``). The statement must
    read the CTE (``(SELECT count(*) FROM published)``): PostgreSQL skips a SELECT nobody reads.
    """
    return (
        "SELECT hocovisio_publish("
        + onetoone_id
        + ", '"
        + method
        + "', "
        + audience
        + ", "
        + data
        + ", "
        + kind
        + ") AS n FROM "
        + source
    )


def _params(onetoone_id: int, event: Event, audience: Audience, kind: str | None) -> dict[str, Any]:
    return {
        "o": onetoone_id,
        "m": event.method,
        "a": jsonb(audience.to_json()),
        "d": jsonb(event.data),
        "k": kind,
    }


async def publish_in(
    db: AsyncSession, onetoone_id: int, event: Event, audience: Audience = EVERYONE
) -> None:
    """Publish in ``db``'s transaction: the event goes out at its commit, or never."""
    connection = await db.connection()
    await connection.exec_driver_sql(PUBLISH, _params(onetoone_id, event, audience, None))


async def publish(
    sql: Statements,
    onetoone_id: int,
    event: Event,
    audience: Audience = EVERYONE,
    kind: str | None = None,
) -> None:
    """Publish in a statement of its own, for an event that no stored change goes with."""
    await sql.one(PUBLISH, _params(onetoone_id, event, audience, kind))


@dataclass(frozen=True)
class Kept:
    """A notice too large for ``NOTIFY``, kept in ``cluster_event``."""

    onetoone_id: int
    id: int


def decode(payload: str) -> Notice | Kept:
    """The notification's notice, or where it is kept."""
    data = json.loads(payload)
    if "ref" in data:
        return Kept(data["o"], data["ref"])
    return Notice(
        data["o"],
        Event(data["m"], data["d"] if data["d"] is not None else {}),
        Audience.from_json(data["a"]),
        data["k"],
    )


async def purge_kept(sql: Statements, age: float) -> None:
    """Forget the kept notices older than ``age`` seconds: every instance has read them."""
    await sql.one(PURGE_KEPT, {"age": age})
