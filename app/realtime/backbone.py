"""This instance's ear on the database: every consultation event, handed to its broker.

One connection of its own (not the pool's) listens on ``notices.CHANNEL``; PostgreSQL sends
each notification once, in the order of the commits, to every instance listening, the one that
made the change included. They are handled one at a time, in that order: a kept one is read
from ``cluster_event`` before the next is handled, and only when a socket of its consultation
is here.

If that connection breaks, the notifications sent meanwhile are lost for this instance: it
closes every socket it holds (``Broker.close_all``; they reconnect and read the state again)
and listens again.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable

import psycopg

from app.persistence.statements import Statements
from app.realtime.broker import Broker
from app.realtime.notices import CHANNEL, FETCH_KEPT, Kept, Notice, decode

log = logging.getLogger(__name__)

RECONNECT_DELAY = 1.0


class Backbone:
    def __init__(
        self, url: str, broker: Broker, sql: Statements, on_end: Callable[[int], None]
    ) -> None:
        """``on_end`` closes what else the instance holds of an ended consultation (its media)."""
        self._url = url
        self._broker = broker
        self._sql = sql
        self._on_end = on_end
        self._task: asyncio.Task[None] | None = None
        self.received = 0  # notifications, for the metrics

    async def start(self) -> None:
        """Listen before the first socket is accepted, so that none misses an event."""
        connection = await self._listen()
        self._task = asyncio.get_running_loop().create_task(self._run(connection))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _listen(self) -> psycopg.AsyncConnection[tuple[object, ...]]:
        connection = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
        await connection.execute("LISTEN " + CHANNEL)
        return connection

    async def _run(self, connection: psycopg.AsyncConnection[tuple[object, ...]]) -> None:
        while True:
            try:
                async with connection:
                    async for notification in connection.notifies():
                        await self._handle(notification.payload)
            except psycopg.Error as error:
                log.warning("listening to the database stopped: %s", type(error).__name__)
            closed = self._broker.close_all()
            if closed:
                log.warning("closed %d sockets that may have missed events", closed)
            connection = await self._reconnect()

    async def _reconnect(self) -> psycopg.AsyncConnection[tuple[object, ...]]:
        while True:
            await asyncio.sleep(RECONNECT_DELAY)
            try:
                return await self._listen()
            except psycopg.Error as error:
                log.warning("cannot listen to the database yet: %s", type(error).__name__)

    async def _handle(self, payload: str) -> None:
        self.received += 1
        try:
            notice = decode(payload)
            if isinstance(notice, Kept):
                if not self._broker.has(notice.onetoone_id):
                    return
                row = await self._sql.one(FETCH_KEPT, {"id": notice.id})
                if row is None:
                    return
                notice = decode(row.payload)
                assert isinstance(notice, Notice)
            self._dispatch(notice)
        except Exception:
            log.exception("a notification could not be handled")

    def _dispatch(self, notice: Notice) -> None:
        broker = self._broker
        if notice.kind == "end":
            broker.end(notice.onetoone_id, notice.event)
            self._on_end(notice.onetoone_id)
        elif notice.kind == "replace":
            broker.replace(notice.onetoone_id, notice.event.data["sockets"])
        else:
            broker.deliver(notice.onetoone_id, notice.event, notice.audience)
