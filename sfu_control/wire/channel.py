"""Framed FlatBuffers channel to the mediasoup worker (port of ``Channel.ts``).

The controller writes ``FBS.Message.Message`` frames (4-byte little-endian
length prefix) to the worker's fd 3 and reads frames from its fd 4. Requests
get an id and a pending future; responses resolve or reject it; notifications
are dispatched by handler id (the id of the target object); worker logs go to
the ``sfu_control.worker`` logger.
"""

from __future__ import annotations

import asyncio
import logging
import os
import struct
from collections.abc import Callable
from typing import Any

from ..errors import InvalidStateError, WorkerError, WorkerTimeoutError, WorkerTypeError
from . import codec, fbs, worker_log

logger = logging.getLogger("sfu_control.channel")
# What the worker writes before each error it answers a request with.
THROWING = "| throwing MediaSoup"

# Same limits as the Node library: 4 MiB payload.
PAYLOAD_MAX_LEN = 4194304
MESSAGE_MAX_LEN = PAYLOAD_MAX_LEN + 4
DEFAULT_REQUEST_TIMEOUT = 10.0

NotificationHandler = Callable[[int, Any], None]


class _ReadProtocol(asyncio.Protocol):
    def __init__(self, channel: Channel) -> None:
        self._channel = channel

    def data_received(self, data: bytes) -> None:
        self._channel._on_data(data)

    def connection_lost(self, exc: Exception | None) -> None:
        logger.debug("consumer pipe closed by the worker (%s)", exc)


class Channel:
    """Request/response + notifications over a pair of pipes."""

    def __init__(self, read_fd: int, write_fd: int, pid: int) -> None:
        self._read_fd = read_fd
        self._write_fd = write_fd
        self._pid = pid
        self._closed = False
        self._next_id = 0
        self._sents: dict[int, tuple[asyncio.Future[Any], str]] = {}
        self._handlers: dict[str, list[NotificationHandler]] = {}
        self._recv_buffer = bytearray()
        self._outgoing: list[bytes] | None = None  # frames held until the loop turn ends
        self._read_transport: asyncio.ReadTransport | None = None
        self._write_transport: asyncio.WriteTransport | None = None
        self._loop = asyncio.get_running_loop()

    async def open(self) -> None:
        """Attach both pipes to the running loop (non-blocking I/O)."""
        self._read_transport, _ = await self._loop.connect_read_pipe(
            lambda: _ReadProtocol(self), os.fdopen(self._read_fd, "rb", buffering=0)
        )
        self._write_transport, _ = await self._loop.connect_write_pipe(
            asyncio.Protocol, os.fdopen(self._write_fd, "wb", buffering=0)
        )

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Close the pipes and reject every pending request."""
        if self._closed:
            return
        self._closed = True
        for request_id, (future, method) in list(self._sents.items()):
            if not future.done():
                message = f"Channel closed, pending request aborted [method:{method}]"
                future.set_exception(InvalidStateError(f"{message} [id:{request_id}]"))
        self._sents.clear()
        self._handlers.clear()
        self._flush()
        for transport in (self._read_transport, self._write_transport):
            if transport is not None:
                transport.close()

    # -------------------------------------------------------- notifications

    def on(self, handler_id: str, handler: NotificationHandler) -> None:
        """Subscribe ``handler(event, body)`` to notifications for ``handler_id``."""
        self._handlers.setdefault(handler_id, []).append(handler)

    def remove_all_listeners(self, handler_id: str) -> None:
        self._handlers.pop(handler_id, None)

    def has_listeners(self, handler_id: str) -> bool:
        return handler_id in self._handlers

    # ------------------------------------------------------------- sending

    def _send(self, message_body_type: int, message_body: Any) -> None:
        """Write a frame, coalescing the frames of one event-loop turn.

        The first frame of a turn goes out at once (no added latency); the ones
        that follow in the same turn, a burst of requests, are written together
        when the turn ends: one system call instead of one each, call order kept.
        """
        message = fbs.MessageT()
        message.dataType = message_body_type
        message.data = message_body
        data = codec.encode(message)
        if len(data) > MESSAGE_MAX_LEN:
            raise ValueError("message too big")
        assert self._write_transport is not None
        if self._outgoing is None:
            self._outgoing = []
            self._loop.call_soon(self._flush)
            self._write_transport.write(data)
        else:
            self._outgoing.append(data)

    def _flush(self) -> None:
        frames, self._outgoing = self._outgoing, None
        if frames and self._write_transport is not None:
            self._write_transport.write(b"".join(frames))

    def notify(
        self,
        event: int,
        handler_id: str,
        body_type: int | None = None,
        body: Any = None,
    ) -> None:
        """Fire-and-forget notification to the worker (e.g. ``PRODUCER_SEND``)."""
        if self._closed:
            raise InvalidStateError(f"Channel closed, cannot send notification [event:{event}]")
        notification = fbs.NotificationT()
        notification.handlerId = handler_id
        notification.event = event
        if body is not None and body_type is not None:
            notification.bodyType = body_type
            notification.body = body
        try:
            self._send(fbs.MessageBody.Notification, notification)
        except Exception as error:  # broken pipe: the worker is gone
            logger.warning("notify() | sending notification failed: %s", error)

    def _start_request(
        self, method: int, handler_id: str, body_type: int | None, body: Any
    ) -> tuple[int, asyncio.Future[Any]]:
        """Write the request now (so requests reach the worker in call order)."""
        method_name = fbs.METHOD_NAMES.get(method)
        if method_name is None:
            # The 3.13.16 worker aborts on unknown method ids: never send one.
            raise ValueError(f"unknown method id {method}")
        if self._closed:
            raise InvalidStateError(f"Channel closed, cannot send request [method:{method_name}]")
        self._next_id = self._next_id + 1 if self._next_id < 4294967295 else 1
        request_id = self._next_id
        request = fbs.RequestT()
        request.id = request_id
        request.method = method
        request.handlerId = handler_id
        if body is not None and body_type is not None:
            request.bodyType = body_type
            request.body = body
        future: asyncio.Future[Any] = self._loop.create_future()
        self._sents[request_id] = (future, method_name)
        try:
            self._send(fbs.MessageBody.Request, request)
        except BaseException:
            self._sents.pop(request_id, None)
            raise
        return request_id, future

    async def request(
        self,
        method: int,
        handler_id: str = "",
        body_type: int | None = None,
        body: Any = None,
        timeout: float = DEFAULT_REQUEST_TIMEOUT,
    ) -> Any:
        """Send a request and return the unpacked response body (or ``None``).

        Raises ``WorkerTypeError`` / ``WorkerError`` when the worker rejects it
        and ``WorkerTimeoutError`` when it does not answer within ``timeout``.
        """
        request_id, future = self._start_request(method, handler_id, body_type, body)
        # A timer on the request's own future: cheaper than asyncio.wait_for's wrapper.
        timer = self._loop.call_later(
            timeout, self._time_out, request_id, future, fbs.METHOD_NAMES[method]
        )
        try:
            return await future
        finally:
            timer.cancel()
            if future.cancelled():
                # The caller was cancelled, not the worker: its answer still comes, and is
                # dropped quietly then (or when it would have timed out).
                self._loop.call_later(timeout, self._sents.pop, request_id, None)
            else:
                self._sents.pop(request_id, None)

    @staticmethod
    def _time_out(request_id: int, future: asyncio.Future[Any], method: str) -> None:
        if not future.done():
            future.set_exception(
                WorkerTimeoutError(f"request timeout [method:{method}, id:{request_id}]")
            )

    def request_nowait(
        self, method: int, handler_id: str = "", body_type: int | None = None, body: Any = None
    ) -> None:
        """Send a request whose outcome nobody awaits (the ``close()`` requests).

        Mirrors the Node library's ``.request(...).catch(() => {})``.
        """
        if self._closed:
            return
        request_id, future = self._start_request(method, handler_id, body_type, body)

        def forget() -> None:
            self._sents.pop(request_id, None)
            if not future.done():
                future.cancel()

        timer = self._loop.call_later(DEFAULT_REQUEST_TIMEOUT, forget)

        def done(fut: asyncio.Future[Any]) -> None:
            timer.cancel()
            self._sents.pop(request_id, None)
            if not fut.cancelled() and fut.exception() is not None:
                logger.debug("request failed: %s", fut.exception())

        future.add_done_callback(done)

    # ----------------------------------------------------------- receiving

    def _on_data(self, data: bytes) -> None:
        buffer = self._recv_buffer
        buffer.extend(data)
        if len(buffer) > MESSAGE_MAX_LEN * 2:
            logger.error("receiving buffer is full, discarding all data in it")
            buffer.clear()
            return
        start = 0
        while len(buffer) - start >= 4:
            (length,) = struct.unpack_from("<I", buffer, start)
            if len(buffer) - start < 4 + length:
                break
            payload = bytes(buffer[start + 4 : start + 4 + length])
            start += 4 + length
            try:
                self._process_message(payload)
            except Exception:
                logger.exception("received invalid message from the worker process")
        if start:
            del buffer[:start]

    def _process_message(self, payload: bytes) -> None:
        message = codec.decode(payload)
        if message.dataType == fbs.MessageBody.Response:
            self._process_response(message.data)
        elif message.dataType == fbs.MessageBody.Notification:
            # Deferred like Node's setImmediate so that a response received
            # just before is handled (its awaiting task resumed) first.
            self._loop.call_soon(self._process_notification, message.data)
        elif message.dataType == fbs.MessageBody.Log:
            self._process_log(message.data.data)
        else:
            logger.warning("worker[pid:%s] unexpected data", self._pid)

    def _process_response(self, response: Any) -> None:
        sent = self._sents.get(response.id)
        if sent is None:
            logger.error("received response does not match any sent request [id:%s]", response.id)
            return
        future, method = sent
        if future.done():
            self._sents.pop(response.id, None)  # its caller was cancelled
            return
        if response.accepted:
            future.set_result(response.body)
        elif response.error:
            error = response.error.decode()
            reason = (response.reason or b"").decode()
            logger.warning("request failed [method:%s, id:%s]: %s", method, response.id, reason)
            cls = WorkerTypeError if error == "TypeError" else WorkerError
            future.set_exception(cls(reason))
        else:
            logger.error("received response is not accepted nor rejected [method:%s]", method)

    def _process_notification(self, notification: Any) -> None:
        handler_id = notification.handlerId.decode()
        for handler in list(self._handlers.get(handler_id, [])):
            try:
                handler(notification.event, notification.body)
            except Exception:
                logger.exception(
                    "notification handler failed [event:%s]",
                    fbs.EVENT_NAMES.get(notification.event),
                )

    def _process_log(self, data: bytes | None) -> None:
        text = (data or b"").decode("utf-8", errors="replace")
        if not text:
            return
        level = {"D": logging.DEBUG, "W": logging.WARNING, "E": logging.ERROR}.get(text[0])
        if level == logging.ERROR and THROWING in text:
            # The worker's trace of an error it is answering a request with: the caller gets
            # it as an exception (and "request failed" is logged), a client's bad parameters
            # as often as not. At ERROR, any participant could fill the log with them.
            level = logging.DEBUG
        if level is None and text[0] == "X":
            level = logging.INFO
        if level is not None:
            worker_log.WORKER_LOG.relay(self._pid, level, text[1:])
