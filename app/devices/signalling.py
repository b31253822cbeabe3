"""The station's participant socket: protoo requests to the server, notifications from it."""

import asyncio
import itertools
import json
import logging
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedError

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = 15.0


class SignallingError(Exception):
    """The server refused a request (the reason is its message), or did not answer."""


class StationSocket:
    def __init__(self, connection: ClientConnection) -> None:
        self._connection = connection
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, ws_url: str, credential: str) -> "StationSocket":
        connection = await connect(
            ws_url,
            additional_headers={"Authorization": f"Bearer {credential}"},
            subprotocols=["protoo"],  # type: ignore[list-item]
            open_timeout=REQUEST_TIMEOUT,
        )
        return cls(connection)

    async def request(self, method: str, data: dict[str, Any] | None = None) -> Any:
        frame_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[frame_id] = future
        frame = {"request": True, "id": frame_id, "method": method, "data": data or {}}
        try:
            await self._connection.send(json.dumps(frame))
            return await asyncio.wait_for(future, REQUEST_TIMEOUT)
        except TimeoutError:
            raise SignallingError(f"{method}: no answer from the server") from None
        except ConnectionClosed:
            raise SignallingError("socket closed") from None
        finally:
            self._pending.pop(frame_id, None)

    @property
    def is_closed(self) -> bool:
        return self._reader.done()

    async def closed(self) -> None:
        """Wait until the server closes the socket (the consultation ended, or it stopped)."""
        await asyncio.shield(self._reader)

    async def close(self) -> None:
        await self._connection.close()
        await asyncio.gather(self._reader, return_exceptions=True)

    async def _read(self) -> None:
        try:
            async for text in self._connection:
                self._frame(json.loads(text))
        except ConnectionClosedError as closed:
            # The server ends a consultation's sockets with its own code (4000); only a
            # connection that broke without a close frame is an error.
            if closed.rcvd is None:
                raise
            log.info("the server closed the socket (%s)", closed.rcvd.code)
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(SignallingError("socket closed"))

    def _frame(self, frame: dict[str, Any]) -> None:
        if frame.get("response"):
            future = self._pending.get(frame.get("id"))  # type: ignore[arg-type]
            if future is None or future.done():
                return
            if frame.get("ok"):
                future.set_result(frame.get("data"))
            else:
                future.set_exception(SignallingError(frame.get("errorReason") or "refused"))
        elif frame.get("request"):
            # A station only sends media: it has no receiving transport, so it gets no
            # newConsumer; anything else is refused.
            refusal = {"response": True, "id": frame.get("id"), "ok": False, "errorReason": "no"}
            asyncio.get_running_loop().create_task(self._connection.send(json.dumps(refusal)))
        elif frame.get("notification"):
            log.debug("notification %s", frame.get("method"))
