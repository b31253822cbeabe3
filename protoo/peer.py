"""One side of a protoo connection, over any transport that sends text.

A ``Peer`` numbers its requests, waits for their answers (with a timeout), answers the other
side's requests with a handler, and hands notifications on. It does not read: whoever reads
the transport gives it each frame (``receive``), or just the responses (``answer``). The
server's participant peer and every client (``protoo.client``) are built on it.
"""

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from protoo import frames
from protoo.frames import Frame, Notification, Request, Response

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 15.0

Send = Callable[[str], Awaitable[None]]
# A request from the other side: (method, data) -> the answer's data; raising refuses it.
RequestHandler = Callable[[str, dict[str, Any]], Awaitable[Any]]


class RequestError(Exception):
    """A request of ours that failed; the message says why."""


class Refused(RequestError):
    """The other side answered ``ok: false``; the message is its ``errorReason``."""


class NoAnswer(RequestError, TimeoutError):
    """No answer within the timeout."""


class ConnectionLost(RequestError, ConnectionError):
    """The connection closed before the answer came."""


class Peer:
    def __init__(
        self,
        send: Send,
        *,
        first_id: int = 1,
        timeout: float = DEFAULT_TIMEOUT,
        on_request: RequestHandler | None = None,
        on_notification: Callable[[Notification], None] | None = None,
        on_error: Callable[[Response], None] | None = None,
    ) -> None:
        self._send = send
        # Frames go out whole and in order, whatever the transport does with concurrent sends.
        self._send_lock = asyncio.Lock()
        self._ids = itertools.count(first_id)
        self._pending: dict[int, asyncio.Future[Response]] = {}
        self._handlers: set[asyncio.Task[None]] = set()  # answering the other side
        self.timeout = timeout
        self.on_request = on_request
        self.on_notification = on_notification
        # An error about a frame of ours whose request id the other side could not read.
        self.on_error = on_error

    async def send(self, text: str) -> None:
        async with self._send_lock:
            await self._send(text)

    async def notify(self, method: str, data: Any) -> None:
        await self.send(frames.notification(method, data))

    async def exchange(
        self, method: str, data: Any = None, timeout: float | None = None
    ) -> Response:
        """Send a request and return its answer, ``ok`` or not."""
        frame_id = next(self._ids)
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._pending[frame_id] = future
        try:
            await self.send(frames.request(frame_id, method, {} if data is None else data))
            return await asyncio.wait_for(future, self.timeout if timeout is None else timeout)
        except TimeoutError:
            raise NoAnswer(f"{method}: no answer") from None
        finally:
            self._pending.pop(frame_id, None)

    async def request(self, method: str, data: Any = None, timeout: float | None = None) -> Any:
        """Send a request and return its answer's data; ``Refused`` when it is refused."""
        response = await self.exchange(method, data, timeout)
        if not response.ok:
            raise Refused(response.error_reason or "request refused")
        return response.data

    def answer(self, response: Response) -> bool:
        """Hand a response to the request waiting for it; False when none is (a late answer,
        or an error about a frame whose id the other side could not read)."""
        future = self._pending.get(response.id) if response.id is not None else None
        if future is None or future.done():
            return False
        future.set_result(response)
        return True

    def receive(self, frame: Frame) -> None:
        """Act on a frame read from the transport."""
        if isinstance(frame, Response):
            if self.answer(frame) or frame.ok or frame.id is not None:
                return
            if self.on_error is not None:
                self.on_error(frame)
            else:
                log.warning("the other side could not read a frame: %s", frame.error_reason)
        elif isinstance(frame, Notification):
            if self.on_notification is not None:
                self.on_notification(frame)
        else:
            task = asyncio.get_running_loop().create_task(self._answer_request(frame))
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)

    async def _answer_request(self, request: Request) -> None:
        try:
            if self.on_request is None:
                raise RequestError(f"{request.method} is not handled here")
            data = await self.on_request(request.method, request.data)
        except Exception as error:
            answer = frames.failure(request.id, str(error))
        else:
            answer = frames.success(request.id, data)
        await self.send(answer)

    def abandon_requests(self) -> None:
        """Fail the requests still waiting: the connection closed."""
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionLost("socket closed"))
