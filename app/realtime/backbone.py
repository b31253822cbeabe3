"""This instance's ear on the database: every consultation event, handed to its broker, and
the messages for this instance alone (the media relay), handed to ``Hooks.message``.

One connection of its own (not the pool's) listens on ``notices.CHANNEL``; PostgreSQL sends
each notification once, in the order of the commits, to every instance listening, the one that
made the change included. They are handled one at a time, in that order: a kept one is read
from ``cluster_event`` before the next is handled, and only when a socket of its consultation
is here.

If that connection breaks, the notifications sent meanwhile are lost for this instance: it
closes every socket it holds (``Broker.close_all``; they reconnect and read the state again)
and listens again. A connection can also go silent without breaking (a firewall or NAT that
drops it idle, a stalled server process): each heartbeat of this instance notifies its own
channel (``BEAT``), and a beat not heard in time counts as a break.
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from app.persistence.statements import Statements
from app.realtime.broker import Broker
from app.realtime.notices import BEAT, CHANNEL, FETCH_KEPT, Kept, Notice, decode

log = logging.getLogger(__name__)

RECONNECT_DELAY = 1.0
# A heartbeat not heard within two leases (five seconds at least, for a listener behind on a
# busy instance) means the connection went deaf.
MIN_DEAF_AFTER = 5.0
# How json_build_object writes a plain event's notification (migration 0005).
OFFSET = len('{"o" : ')
PLAIN_EVENT_END = '"k" : null}'
MEDIA_RESET = '"m" : "mediaReset"'


@dataclass(frozen=True)
class Hooks:
    """What else the instance does on a notice, besides delivering it to its sockets."""

    ended: Callable[[int], None]  # a consultation ended: its media room, what was relayed
    reset: Callable[[int], None]  # a consultation's media was reset: its home may change
    gone: Callable[[int], None]  # an instance is gone
    message: Callable[[str], None]  # a message on this instance's own channel


class Backbone:
    def __init__(
        self,
        url: str,
        broker: Broker,
        sql: Statements,
        instance_id: Callable[[], int],
        hooks: Hooks,
        lease: float,
    ) -> None:
        self._url = url
        self._broker = broker
        self._sql = sql
        self._instance_id = instance_id
        self._hooks = hooks
        self._deaf_after = max(2 * lease, MIN_DEAF_AFTER)
        self._task: asyncio.Task[None] | None = None
        self._connection: psycopg.AsyncConnection[tuple[object, ...]] | None = None
        # While listening: the time limit for hearing the beat awaited (none awaited: no limit).
        self._deadline: asyncio.Timeout | None = None
        self._heard_beat = 0
        self._awaited_beat = 0
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

    async def restart(self) -> None:
        """Listen again from a new connection (this instance registered again, under a new
        id): its sockets are closed, as after a lost connection."""
        if self._connection is not None:
            await self._connection.close()

    def beat_sent(self, number: int) -> None:
        """This instance's heartbeat ``number`` notified its channel: unless a beat is already
        awaited (or this one was heard first), it must be heard in time."""
        deadline = self._deadline
        if deadline is None or deadline.when() is not None or self._heard_beat >= number:
            return
        self._awaited_beat = number
        deadline.reschedule(asyncio.get_running_loop().time() + self._deaf_after)

    def _beat_heard(self, number: int) -> None:
        self._heard_beat = max(self._heard_beat, number)
        if self._deadline is not None and number >= self._awaited_beat:
            self._deadline.reschedule(None)

    async def _listen(self) -> psycopg.AsyncConnection[tuple[object, ...]]:
        connection = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
        await connection.execute("LISTEN " + CHANNEL)
        await connection.execute(f"LISTEN {CHANNEL}_{int(self._instance_id())}")
        self._connection = connection
        return connection

    async def _run(self, connection: psycopg.AsyncConnection[tuple[object, ...]]) -> None:
        while True:
            try:
                async with connection, asyncio.timeout(None) as self._deadline:
                    async for notification in connection.notifies():
                        if notification.channel == CHANNEL:
                            await self._handle(notification.payload)
                        else:
                            await self._handle_message(notification.payload)
            except psycopg.Error as error:
                log.warning("listening to the database stopped: %s", type(error).__name__)
            except TimeoutError:
                log.warning(
                    "listening to the database stopped: this instance's heartbeat was not"
                    " heard within %g s",
                    self._deaf_after,
                )
            finally:
                self._deadline = None
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
        if not self._concerns_us(payload):
            return
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

    def _concerns_us(self, payload: str) -> bool:
        """Whether to decode the notice: every instance receives every one, and most are
        about consultations with no socket here. An event (``"k" : null``, last) of such a
        consultation is skipped unread, unless it resets media (the homes this instance
        knows). ``hocovisio_publish`` writes the consultation first: ``{"o" : <id>, ...``."""
        if not payload.endswith(PLAIN_EVENT_END) or MEDIA_RESET in payload:
            return True
        try:
            onetoone_id = int(payload[OFFSET : payload.index(",", OFFSET)])
        except ValueError:
            return True
        return self._broker.has(onetoone_id)

    async def _handle_message(self, payload: str) -> None:
        if payload.startswith(BEAT):
            self._beat_heard(int(payload[len(BEAT) :]))
            return
        try:
            if payload.startswith('{"ref"'):
                row = await self._sql.one(FETCH_KEPT, {"id": json.loads(payload)["ref"]})
                if row is None:
                    return
                payload = row.payload
            self._hooks.message(payload)
        except Exception:
            log.exception("a message could not be handled")

    def _dispatch(self, notice: Notice) -> None:
        broker, hooks = self._broker, self._hooks
        if notice.kind == "end":
            broker.end(notice.onetoone_id, notice.event)
            hooks.ended(notice.onetoone_id)
        elif notice.kind == "replace":
            broker.replace(notice.onetoone_id, notice.event.data["sockets"])
        elif notice.kind == "gone":
            hooks.gone(notice.event.data["instance"])
        else:
            if notice.event.method == "mediaReset":
                # Before the sockets hear of it, so that their next request finds the new home.
                hooks.reset(notice.onetoone_id)
            broker.deliver(notice.onetoone_id, notice.event, notice.audience)
