"""Media signalling between the instance that holds a participant's socket and the instance
whose SFU carries the consultation's media (its home, ``app.services.media_homes``).

A socket whose consultation's media lives elsewhere has its media requests forwarded to the
home (``forward``), which serves them for a stand-in ``Peer`` whose frames come back here
(``frame``) and go out on the socket as they are: the home's ``newConsumer`` requests and its
notifications. The client's answers to those requests go back to the home (``answer_home``).
The client's media itself goes straight to the home's RTC ports: only signalling is relayed.

Messages travel as notifications on each instance's own channel (``hocovisio_<id>``, sent by
``hocovisio_send``, one too large kept in ``cluster_event``), sent one at a time per
destination, so that they arrive in the order they were sent.
"""

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import protoo
from app import input_guard
from app.errors import Refused
from app.persistence.statements import Statements
from app.realtime.peer import Peer

log = logging.getLogger(__name__)

SEND = "SELECT hocovisio_send(%(instance)s, %(payload)s)"
FORWARD_TIMEOUT = 15.0  # a home that does not answer by then is taken to be gone

Serve = Callable[[Peer, str, dict[str, Any]], Awaitable[Any]]


@dataclass
class Relay:
    sql: Statements
    instance_id: Callable[[], int]  # this instance's id (it changes if it registers again)
    # Set when the app is assembled: serve a media request for a peer, and let a peer go.
    serve: Serve | None = None
    leave: Callable[[Peer], None] | None = None
    # The socket side: this instance's sockets, and the home each forwarded to.
    _sockets: dict[int, Peer] = field(default_factory=dict)
    _forwarded_to: dict[int, int] = field(default_factory=dict)
    _waiting: dict[str, tuple[int, asyncio.Future[dict[str, Any]]]] = field(default_factory=dict)
    # The home side: stand-ins of the sockets elsewhere, by socket id, with their instance.
    _stand_ins: dict[int, tuple[int, Peer]] = field(default_factory=dict)
    _send_locks: dict[int, asyncio.Lock] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    forwarded: int = 0  # media requests sent to another instance, for the metrics

    # --- the socket side

    def add_socket(self, socket_id: int, peer: Peer) -> None:
        self._sockets[socket_id] = peer

    async def socket_closed(self, socket_id: int) -> None:
        """The socket closed: the home it forwarded to lets its stand-in go."""
        self._sockets.pop(socket_id, None)
        home = self._forwarded_to.pop(socket_id, None)
        if home is not None:
            await self._send(home, {"t": "left", "sock": socket_id})

    async def forward(
        self, home: int, socket_id: int, peer: Peer, method: str, data: dict[str, Any]
    ) -> Any:
        """Serve the socket's media request on its consultation's home; its answer."""
        request_id = secrets.token_hex(8)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = (home, future)
        self._forwarded_to[socket_id] = home
        self.forwarded += 1
        try:
            await self._send(
                home,
                {
                    "t": "req",
                    "id": request_id,
                    "from": self.instance_id(),
                    "sock": socket_id,
                    "o": peer.onetoone_id,
                    "s": peer.session_id,
                    "r": peer.role,
                    "m": method,
                    "d": data,
                },
            )
            async with asyncio.timeout(FORWARD_TIMEOUT):
                answer = await future
        except TimeoutError:
            raise Refused(503, "the media service is unavailable, try again") from None
        finally:
            self._waiting.pop(request_id, None)
        if not answer["ok"]:
            raise Refused(answer.get("status", 400), answer["e"])
        return answer.get("d")

    def answer_home(self, socket_id: int, text: str) -> bool:
        """Send the client's answer to a request its home made; False when none did."""
        home = self._forwarded_to.get(socket_id)
        if home is None:
            return False
        self._spawn(self._send(home, {"t": "answer", "sock": socket_id, "frame": text}))
        return True

    # --- the home side

    def _stand_in(self, message: dict[str, Any]) -> Peer:
        socket_id, origin = message["sock"], message["from"]
        known = self._stand_ins.get(socket_id)
        if known is not None:
            return known[1]

        async def send(text: str) -> None:
            await self._send(origin, {"t": "frame", "sock": socket_id, "frame": text})

        peer = Peer(send, message["s"], message["o"], message["r"], pending=False)
        peer.remote = True
        peer.socket_id = socket_id
        self._stand_ins[socket_id] = (origin, peer)
        return peer

    async def _serve(self, message: dict[str, Any]) -> None:
        reply: dict[str, Any] = {"t": "res", "id": message["id"]}
        try:
            assert self.serve is not None
            data = await self.serve(self._stand_in(message), message["m"], message["d"])
            reply |= {"ok": True, "d": data}
        except Refused as refused:
            reply |= {"ok": False, "e": refused.msg, "status": refused.status}
        except Exception:
            log.exception("relayed request %s failed", message["m"])
            reply |= {"ok": False, "e": "internal error", "status": 500}
        await self._send(message["from"], reply)

    def _let_go(self, socket_id: int) -> None:
        known = self._stand_ins.pop(socket_id, None)
        if known is not None:
            _, peer = known
            peer.abandon_requests()
            if self.leave is not None:
                self.leave(peer)

    # --- both

    def instance_gone(self, instance_id: int) -> None:
        """Forget what was relayed with an instance that is gone."""
        for socket_id, (origin, _) in list(self._stand_ins.items()):
            if origin == instance_id:
                self._let_go(socket_id)
        for socket_id, home in list(self._forwarded_to.items()):
            if home == instance_id:
                del self._forwarded_to[socket_id]
        for home, future in self._waiting.values():
            if home == instance_id and not future.done():
                future.set_result({"ok": False, "e": "the media home is gone, join again"})

    def consultation_ended(self, onetoone_id: int) -> None:
        for socket_id, (_, peer) in list(self._stand_ins.items()):
            if peer.onetoone_id == onetoone_id:
                self._let_go(socket_id)

    def handle(self, payload: str) -> None:
        """A message on this instance's channel, in the order they were sent."""
        message = json.loads(payload)
        kind = message.get("t")
        if kind == "req":
            self._spawn(self._serve(message))
        elif kind == "res":
            waiting = self._waiting.get(message["id"])
            if waiting is not None and not waiting[1].done():
                waiting[1].set_result(message)
        elif kind == "frame":
            peer = self._sockets.get(message["sock"])
            if peer is not None:
                self._spawn(self._send_quietly(peer, message["frame"]))
        elif kind == "answer":
            known = self._stand_ins.get(message["sock"])
            if known is not None:
                with contextlib.suppress(protoo.FrameError):
                    frame = protoo.parse(message["frame"], input_guard)
                    if isinstance(frame, protoo.Response):
                        known[1].answer(frame)
        elif kind == "left":
            self._let_go(message["sock"])

    async def _send_quietly(self, peer: Peer, text: str) -> None:
        with contextlib.suppress(Exception):
            await peer.send(text)

    async def _send(self, instance_id: int, message: dict[str, Any]) -> None:
        lock = self._send_locks.setdefault(instance_id, asyncio.Lock())
        async with lock:
            await self.sql.one(SEND, {"instance": instance_id, "payload": json.dumps(message)})

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.get_running_loop().create_task(self._logged(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _logged(self, work: Awaitable[None]) -> None:
        try:
            await work
        except Exception as error:
            log.warning("relay: %s", type(error).__name__)
