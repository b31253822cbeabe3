"""A participant's open socket, as the request handlers see it."""

import asyncio
import contextlib
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import protoo

# What the media room catches when a client refuses or ignores a server request.
PeerRequestError = protoo.RequestError


class Peer(protoo.Peer):
    """The protoo peer of one socket (the hub reads it), with the session it speaks for."""

    def __init__(
        self,
        send: Callable[[str], Awaitable[None]],
        session_id: int,
        onetoone_id: int,
        role: str,
        pending: bool,
        e2ee: bool = False,
    ) -> None:
        super().__init__(send, first_id=secrets.randbelow(1_000_000) + 1)
        self.session_id = session_id
        self.onetoone_id = onetoone_id
        self.role = role
        self.pending = pending
        self.e2ee = e2ee  # its consultation's media is encrypted end to end
        self.socket_id = 0  # its row in ``live_socket``, once recorded
        # A stand-in, on its consultation's media home, of a socket on another instance
        # (``app.realtime.relay``): its media requests are served here, not forwarded.
        self.remote = False
        self._background: set[asyncio.Task[None]] = set()

    def notify_soon(self, method: str, data: Any) -> None:
        """Notify from synchronous code (SFU event callbacks); a closed socket is ignored."""
        task = asyncio.get_running_loop().create_task(self._notify_quietly(method, data))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _notify_quietly(self, method: str, data: Any) -> None:
        with contextlib.suppress(Exception):
            await self.notify(method, data)
