"""A participant's open socket, as the request handlers see it."""

import asyncio
import contextlib
import itertools
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from app.ws import protoo

SERVER_REQUEST_TIMEOUT = 15.0


class PeerRequestError(Exception):
    """The client answered a server request with an error, or not at all."""


class Peer:
    def __init__(
        self,
        send: Callable[[str], Awaitable[None]],
        session_id: int,
        onetoone_id: int,
        role: str,
        pending: bool,
    ) -> None:
        self._send = send
        self._send_lock = asyncio.Lock()
        self.session_id = session_id
        self.onetoone_id = onetoone_id
        self.role = role
        self.pending = pending
        self._requests: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(secrets.randbelow(1_000_000) + 1)
        self._background: set[asyncio.Task[None]] = set()

    async def send(self, text: str) -> None:
        async with self._send_lock:
            await self._send(text)

    async def notify(self, method: str, data: Any) -> None:
        await self.send(protoo.notification(method, data))

    def notify_soon(self, method: str, data: Any) -> None:
        """Notify from synchronous code (SFU event callbacks); a closed socket is ignored."""
        task = asyncio.get_running_loop().create_task(self._notify_quietly(method, data))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _notify_quietly(self, method: str, data: Any) -> None:
        with contextlib.suppress(Exception):
            await self.notify(method, data)

    async def request(self, method: str, data: Any, timeout: float = SERVER_REQUEST_TIMEOUT) -> Any:
        """Send a request to the client (e.g. ``newConsumer``) and wait for its answer."""
        frame_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._requests[frame_id] = future
        try:
            await self.send(protoo.request(frame_id, method, data))
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise PeerRequestError(f"{method}: no answer from the client") from None
        finally:
            self._requests.pop(frame_id, None)

    def answer(self, response: protoo.Response) -> None:
        future = self._requests.get(response.id)
        if future is None or future.done():
            return
        if response.ok:
            future.set_result(response.data)
        else:
            future.set_exception(PeerRequestError(response.error_reason or "request refused"))

    def abandon_requests(self) -> None:
        for future in self._requests.values():
            if not future.done():
                future.set_exception(PeerRequestError("socket closed"))
