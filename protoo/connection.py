"""A ``Peer`` that reads its own transport: a client's protoo connection."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any, Protocol

from protoo import frames
from protoo.peer import Peer


class Transport(Protocol):
    """Text in, text out: a ``websockets`` connection is one."""

    async def send(self, message: str) -> None: ...

    def __aiter__(self) -> AsyncIterator[str | bytes]: ...

    async def close(self) -> None: ...


class Connection(Peer):
    """Reads the transport in a task of its own from the start, until it closes."""

    def __init__(self, transport: Transport, **options: Any) -> None:
        super().__init__(transport.send, **options)
        self.transport = transport
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            async for text in self.transport:
                self.receive(frames.read(text))
        finally:
            self.abandon_requests()

    @property
    def is_closed(self) -> bool:
        return self._reader.done()

    async def closed(self) -> None:
        """Wait until the transport closes; raise what ended the reading, if not a clean close
        (e.g. ``websockets``' ``ConnectionClosedError``, a frame that is not protoo)."""
        await asyncio.shield(self._reader)

    async def close(self) -> BaseException | None:
        """Close the transport; return what had ended the reading before, if anything did."""
        await self.transport.close()
        await asyncio.gather(self._reader, return_exceptions=True)
        return None if self._reader.cancelled() else self._reader.exception()
