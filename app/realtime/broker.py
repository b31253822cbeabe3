"""Publish/subscribe of consultation events to the participants' sockets.

No web framework here: the WebSocket hub subscribes, the services publish. An audience is plain
data, so that this in-process broker can later be backed by PostgreSQL LISTEN/NOTIFY for
several app instances without changing its callers.
"""

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Event:
    method: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Audience:
    """Who in a consultation receives an event. Pending sessions are left out unless named."""

    session_ids: frozenset[int] | None = None
    roles: frozenset[str] | None = None
    exclude_session_id: int | None = None

    @classmethod
    def everyone_but(cls, session_id: int) -> "Audience":
        return cls(exclude_session_id=session_id)

    @classmethod
    def sessions(cls, *session_ids: int) -> "Audience":
        return cls(session_ids=frozenset(session_ids))

    @classmethod
    def role(cls, role: str) -> "Audience":
        return cls(roles=frozenset({role}))


@dataclass(eq=False)
class Subscription:
    """One socket's inbox, read by one task. Slow readers are cut off rather than letting the
    inbox grow.

    An idle socket holds neither a queue nor a waiter's event: the queue exists while events
    wait, the future while the reader waits (each ``deque`` or ``asyncio.Event`` would cost
    about 0.7 KiB per socket, for thousands of idle ones).
    """

    onetoone_id: int
    session_id: int
    role: str
    pending: bool
    max_backlog: int = 1024
    overflowed: bool = False
    replaced: bool = False
    closed: bool = False
    _events: deque[Event] | None = None
    _waiter: asyncio.Future[None] | None = None

    @property
    def backlog(self) -> int:
        """How many events wait to be read."""
        return len(self._events) if self._events is not None else 0

    def wants(self, audience: Audience) -> bool:
        if audience.session_ids is not None:
            return self.session_id in audience.session_ids
        if self.pending or self.session_id == audience.exclude_session_id:
            return False
        return audience.roles is None or self.role in audience.roles

    def deliver(self, event: Event) -> None:
        if self.closed or self.overflowed:
            return
        if self._events is None:
            self._events = deque()
        if len(self._events) >= self.max_backlog:
            self.overflowed = True
        else:
            self._events.append(event)
        self._wake()

    def close(self) -> None:
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def next(self) -> Event | None:
        """The next event; None once closed (after the backlog is drained) or overflowed."""
        while not self._events or self.overflowed:
            if self.closed or self.overflowed:
                return None
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        event = self._events.popleft()
        if not self._events:
            self._events = None
        return event


class Turns:
    """One ``asyncio.Lock`` per consultation, forgotten once nobody holds or awaits it."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def take(self, onetoone_id: int) -> AsyncIterator[None]:
        lock, users = self._locks.get(onetoone_id, (None, 0))
        lock = lock or asyncio.Lock()
        self._locks[onetoone_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[onetoone_id]
            if users == 1:
                del self._locks[onetoone_id]
            else:
                self._locks[onetoone_id] = (lock, users - 1)


class Broker:
    def __init__(self) -> None:
        self._turns = Turns()
        # Per consultation, its subscriptions in the order they were made (a dict as an
        # ordered set), so that the oldest socket of a session is known.
        self._subscriptions: dict[int, dict[Subscription, None]] = {}

    def subscribe(
        self, onetoone_id: int, session_id: int, role: str, pending: bool
    ) -> Subscription:
        subscription = Subscription(onetoone_id, session_id, role, pending)
        self._subscriptions.setdefault(onetoone_id, {})[subscription] = None
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscription.close()
        members = self._subscriptions.get(subscription.onetoone_id)
        if members is not None:
            members.pop(subscription, None)
            if not members:
                del self._subscriptions[subscription.onetoone_id]

    def in_order(self, onetoone_id: int) -> AbstractAsyncContextManager[None]:
        """A turn of the consultation: blocks run one at a time, in the order they asked.

        A writer that commits then publishes does both inside its turn, so that the events of
        a consultation go out in the order of the commits (PostgreSQL may answer one commit
        after the next has already gone through).
        """
        return self._turns.take(onetoone_id)

    def publish(self, onetoone_id: int, event: Event, audience: Audience = Audience()) -> int:
        """Deliver ``event`` to the matching sockets of the consultation; return how many."""
        delivered = 0
        for subscription in self._members(onetoone_id):
            if subscription.wants(audience):
                subscription.deliver(event)
                delivered += 1
        return delivered

    def end(self, onetoone_id: int, event: Event) -> None:
        """Deliver a last event to every socket of the consultation, pending ones too, and close."""
        for subscription in self._members(onetoone_id):
            subscription.deliver(event)
            subscription.close()

    def online_sessions(self, onetoone_id: int) -> dict[int, str]:
        """The validated sessions with an open socket, and their roles."""
        return {s.session_id: s.role for s in self._members(onetoone_id) if not s.pending}

    def open_sockets(self, onetoone_id: int, session_id: int) -> int:
        """How many validated sockets the session has (closing ones too, until they leave)."""
        members = self._members(onetoone_id)
        return sum(1 for s in members if s.session_id == session_id and not s.pending)

    def replace_oldest(self, subscription: Subscription, keep: int) -> list[Subscription]:
        """Close the session's oldest open sockets beyond the ``keep`` newest (``subscription``
        included), marked ``replaced``; return them. A client whose connection dropped may
        come back before the server noticed, and one credential must not hold many sockets."""
        same = [
            s
            for s in self._members(subscription.onetoone_id)
            if s.session_id == subscription.session_id and not s.closed
        ]
        replaced = same[: max(0, len(same) - keep)]
        for old in replaced:
            old.replaced = True
            old.close()
        return replaced

    def consultations(self) -> list[int]:
        """The consultations with at least one open socket here."""
        return list(self._subscriptions)

    def _members(self, onetoone_id: int) -> Iterable[Subscription]:
        return list(self._subscriptions.get(onetoone_id, ()))
