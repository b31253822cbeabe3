"""This instance's participant sockets, and the delivery of consultation events to them.

No web framework here: the WebSocket hub subscribes. Events do not start here: services
publish them in the database (``app.realtime.notices``), in the statement or transaction of
the change, and every instance's backbone (``app.realtime.backbone``) hands the notifications
to its broker, in the order of the commits. An audience is plain data, written into the
notification and read back here.
"""

import asyncio
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Event:
    method: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Audience:
    """Who in a consultation receives an event. Pending sessions are left out unless named;
    pending sockets are left out even when named (``socket_ids``)."""

    session_ids: frozenset[int] | None = None
    roles: frozenset[str] | None = None
    exclude_session_id: int | None = None
    socket_ids: frozenset[int] | None = None
    exclude_socket_id: int | None = None

    @classmethod
    def everyone_but(cls, session_id: int) -> "Audience":
        return cls(exclude_session_id=session_id)

    @classmethod
    def sessions(cls, *session_ids: int) -> "Audience":
        return cls(session_ids=frozenset(session_ids))

    @classmethod
    def role(cls, role: str) -> "Audience":
        return cls(roles=frozenset({role}))

    @classmethod
    def every_socket_but(cls, socket_id: int) -> "Audience":
        return cls(exclude_socket_id=socket_id)

    def to_json(self) -> dict[str, Any] | None:
        """The audience as a notification carries it (None: every validated socket)."""
        if self.session_ids is not None:
            return {"sessions": sorted(self.session_ids)}
        if self.roles is not None:
            return {"roles": sorted(self.roles)}
        if self.exclude_session_id is not None:
            return {"except": self.exclude_session_id}
        if self.socket_ids is not None:
            return {"sockets": sorted(self.socket_ids)}
        if self.exclude_socket_id is not None:
            return {"exceptSocket": self.exclude_socket_id}
        return None

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "Audience":
        if not data:
            return cls()
        if "sessions" in data:
            return cls(session_ids=frozenset(data["sessions"]))
        if "roles" in data:
            return cls(roles=frozenset(data["roles"]))
        if "sockets" in data:
            return cls(socket_ids=frozenset(data["sockets"]))
        if "exceptSocket" in data:
            return cls(exclude_socket_id=data["exceptSocket"])
        return cls(exclude_session_id=data.get("except"))


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
    socket_id: int = 0  # its row in ``live_socket``
    max_backlog: int = 1024
    overflowed: bool = False
    replaced: bool = False
    resync: bool = False  # closed because this instance may have missed events
    closed: bool = False
    _events: deque[Event] | None = None
    _waiter: asyncio.Future[None] | None = None

    @property
    def backlog(self) -> int:
        """How many events wait to be read."""
        return len(self._events) if self._events is not None else 0

    def wants(self, audience: Audience) -> bool:
        if audience.socket_ids is not None:
            return not self.pending and self.socket_id in audience.socket_ids
        if audience.session_ids is not None:
            return self.session_id in audience.session_ids
        if self.pending or self.session_id == audience.exclude_session_id:
            return False
        if self.socket_id == audience.exclude_socket_id:
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


class Broker:
    def __init__(self) -> None:
        self._subscriptions: dict[int, dict[Subscription, None]] = {}

    def subscribe(
        self, onetoone_id: int, session_id: int, role: str, pending: bool, socket_id: int = 0
    ) -> Subscription:
        subscription = Subscription(onetoone_id, session_id, role, pending, socket_id)
        self._subscriptions.setdefault(onetoone_id, {})[subscription] = None
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscription.close()
        members = self._subscriptions.get(subscription.onetoone_id)
        if members is not None:
            members.pop(subscription, None)
            if not members:
                del self._subscriptions[subscription.onetoone_id]

    def deliver(self, onetoone_id: int, event: Event, audience: Audience = Audience()) -> int:
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

    def replace(self, onetoone_id: int, socket_ids: Iterable[int]) -> list[Subscription]:
        """Close the sockets ``socket_ids`` of the consultation that are here, marked
        ``replaced`` (their session opened newer ones, here or elsewhere); return them."""
        wanted = set(socket_ids)
        replaced = [s for s in self._members(onetoone_id) if s.socket_id in wanted]
        for old in replaced:
            old.replaced = True
            old.close()
        return replaced

    def has(self, onetoone_id: int) -> bool:
        """Whether a socket of the consultation is here."""
        return onetoone_id in self._subscriptions

    def consultations(self) -> list[int]:
        """The consultations with at least one open socket here."""
        return list(self._subscriptions)

    def close_all(self) -> int:
        """Close every socket here (they reconnect): this instance may have missed events."""
        closing = [s for members in self._subscriptions.values() for s in members]
        for subscription in closing:
            subscription.resync = True
            subscription.close()
        return len(closing)

    def _members(self, onetoone_id: int) -> Iterable[Subscription]:
        return list(self._subscriptions.get(onetoone_id, ()))
