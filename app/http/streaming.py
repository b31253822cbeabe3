"""Request bodies that can be streamed with back-pressure and a per-route size limit.

Quart's own ``Body`` reads the whole request from the server as fast as it arrives and keeps
whatever the view has not consumed yet in memory, and it checks ``MAX_CONTENT_LENGTH`` when the
request object is built, before the view can raise the limit for an upload route. Here:

- the connection stops reading from the server (hypercorn then stops reading the socket) while
  more than ``HIGH_WATER`` bytes wait for the view, unless the view awaits the whole body;
- the size limit is the one in force when the view starts reading, so a view may set
  ``request.max_content_length`` for its own route; a larger body is a 413 as before.
"""

import asyncio
from collections import deque
from collections.abc import Generator
from typing import Any

from hypercorn.typing import ASGIReceiveCallable
from quart import Response, request
from quart.asgi import ASGIHTTPConnection
from quart.wrappers import Request
from werkzeug.exceptions import RequestEntityTooLarge

HIGH_WATER = 1024 * 1024


class StreamingBody:
    """The interface of Quart's ``Body`` (iterate, or await the whole), with back-pressure."""

    def __init__(self, expected_content_length: int | None, max_content_length: int | None) -> None:
        self._expected = expected_content_length
        self._limit = max_content_length
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._received = 0
        self._reading = False
        self._whole = False
        self._error: Exception | None = None
        self.received_all = False
        self._complete = asyncio.Event()
        self._has_data = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()

    @property
    def received_bytes(self) -> int:
        return self._received

    def set_limit(self, limit: int | None) -> None:
        self._limit = limit

    def _start_reading(self) -> None:
        """The limit is fixed when the view starts reading; check what arrived so far."""
        if not self._reading:
            self._reading = True
            self._enforce_limit()

    def _enforce_limit(self) -> None:
        if self._error is not None or self._limit is None:
            return
        declared = self._expected is not None and self._expected > self._limit
        if declared or self._received > self._limit:
            self._error = RequestEntityTooLarge()
            self._chunks.clear()
            self._buffered = 0
            self.set_complete()

    def __aiter__(self) -> "StreamingBody":
        return self

    async def __anext__(self) -> bytes:
        self._start_reading()
        while not self._chunks and not self._complete.is_set():
            self._has_data.clear()
            await self._has_data.wait()
        if self._error is not None:
            raise self._error
        if not self._chunks:
            raise StopAsyncIteration
        data = b"".join(self._chunks)
        self._chunks.clear()
        self._buffered = 0
        self._room.set()
        return data

    def __await__(self) -> Generator[Any, None, bytes]:
        self._whole = True
        self._room.set()
        self._start_reading()
        yield from self._complete.wait().__await__()
        if self._error is not None:
            raise self._error
        return b"".join(self._chunks)

    def append(self, data: bytes) -> None:
        if not data or self._error is not None:
            return
        self._received += len(data)
        self._chunks.append(data)
        self._buffered += len(data)
        self._has_data.set()
        if self._reading:
            self._enforce_limit()
        if self._buffered >= HIGH_WATER and not self._whole:
            self._room.clear()

    async def room(self) -> None:
        """Wait until the view has consumed enough to accept more data."""
        await self._room.wait()

    def set_complete(self) -> None:
        self.received_all = self._error is None
        self._complete.set()
        self._has_data.set()
        self._room.set()

    def set_result(self, data: bytes) -> None:
        self.append(data)
        self.set_complete()

    def clear(self) -> None:
        self._chunks.clear()
        self._buffered = 0


async def discard_rest(body: StreamingBody, max_bytes: int, timeout: float) -> bool:
    """Read and drop what remains of a body the view did not read, within bounds.

    Once the whole request has been read the connection can carry the next one; a server that
    closes a connection with request bytes still unread makes the client's system drop the
    response. False when the rest is too large or too slow to wait for.
    """
    if body.received_all:
        return True
    body.set_limit(None)
    dropped = 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in body:
                dropped += len(chunk)
                if dropped > max_bytes:
                    return False
    except (TimeoutError, RequestEntityTooLarge):
        return False
    return body.received_all


# What is still read of a body its view left unread, so that the connection stays usable.
DISCARD_MAX_BYTES = 1024 * 1024
DISCARD_SECONDS = 2.0


async def finish_unread_body(response: Response) -> Response:
    """Read what the view left of the request body before the response goes out.

    A view may answer (a 401, a 413 on the declared length...) before the body has arrived.
    hypercorn then closes the connection once the response is sent, while the client has
    already taken the connection back as reusable: its next request fails. So a small rest
    is read and dropped here; a large one gets ``Connection: close`` to say so honestly.
    """
    body = request.body
    if isinstance(body, StreamingBody) and not body.received_all:
        declared = request.content_length
        small = declared is None or declared - body.received_bytes <= DISCARD_MAX_BYTES
        if not (small and await discard_rest(body, DISCARD_MAX_BYTES, DISCARD_SECONDS)):
            response.headers["Connection"] = "close"
    return response


class StreamingRequest(Request):
    body_class = StreamingBody  # type: ignore[assignment]
    body: StreamingBody  # type: ignore[assignment]

    @property
    def max_content_length(self) -> int | None:
        return Request.max_content_length.fget(self)  # type: ignore[attr-defined]

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        Request.max_content_length.fset(self, value)  # type: ignore[attr-defined]
        self.body.set_limit(value)


class StreamingHTTPConnection(ASGIHTTPConnection):
    async def handle_messages(self, request: Request, receive: ASGIReceiveCallable) -> None:
        body = request.body
        while True:
            if isinstance(body, StreamingBody):
                await body.room()
            message = await receive()
            if message["type"] == "http.request":
                body.append(message.get("body", b""))
                if not message.get("more_body", False):
                    body.set_complete()
            elif message["type"] == "http.disconnect":
                return
