"""What a clinic app does, through real HTTP and a real WebSocket."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

EVENT_TIMEOUT = 5.0


@dataclass
class Consultation:
    token: str
    sessions: dict[str, dict[str, Any]]

    def link(self, role: str) -> str:
        return f"/session/{self.token}/{self.sessions[role]['token']}"


async def create_consultation(http: httpx.AsyncClient, operator_key: str) -> Consultation:
    response = await http.post("/onetoone", headers={"Authorization": f"Bearer {operator_key}"})
    assert response.status_code == 200, response.text
    sessions = {s["role"]: s for s in response.json()["sessions"]}
    return Consultation(response.json()["onetoone"]["token"], sessions)


@dataclass
class Socket:
    """A participant's protoo socket that keeps the notifications it receives."""

    connection: ClientConnection
    notifications: list[dict[str, Any]] = field(default_factory=list)
    _responses: dict[int, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _reader: asyncio.Task[None] | None = None
    on_request: Callable[[str, dict[str, Any]], Awaitable[Any]] | None = None
    _handlers: set[asyncio.Task[None]] = field(default_factory=set)

    def start(self) -> None:
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for text in self.connection:
            frame = json.loads(text)
            if frame.get("response"):
                future = self._responses.pop(frame["id"], None)
                if future is not None and not future.done():
                    future.set_result(frame)
                elif frame["id"] is None:
                    self.notifications.append(frame)
            elif frame.get("notification"):
                self.notifications.append(frame)
            elif frame.get("request"):
                task = asyncio.create_task(self._answer(frame))
                self._handlers.add(task)
                task.add_done_callback(self._handlers.discard)
            self._arrived.set()

    async def _answer(self, frame: dict[str, Any]) -> None:
        """Answer a server request (``newConsumer``) with the registered handler."""
        try:
            if self.on_request is None:
                raise RuntimeError("no handler for server requests")
            data = await self.on_request(frame["method"], frame["data"])
            answer = {"response": True, "id": frame["id"], "ok": True, "data": data or {}}
        except Exception as error:
            answer = {"response": True, "id": frame["id"], "ok": False, "errorReason": str(error)}
        await self.connection.send(json.dumps(answer))

    async def request(self, method: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        frame_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._responses[frame_id] = future
        frame = {"request": True, "id": frame_id, "method": method, "data": data or {}}
        await self.connection.send(json.dumps(frame))
        return await asyncio.wait_for(future, EVENT_TIMEOUT)

    async def event(self, method: str, timeout: float = EVENT_TIMEOUT) -> dict[str, Any]:
        """The data of the first notification ``method`` received (waiting for it if needed)."""
        async with asyncio.timeout(timeout):
            while True:
                for frame in self.notifications:
                    if frame.get("method") == method:
                        self.notifications.remove(frame)
                        return frame["data"]
                self._arrived.clear()
                await self._arrived.wait()

    async def events(self, method: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The data of the first ``count`` notifications ``method``, in the order they came
        (waiting for them if needed); they stay in ``notifications``."""
        async with asyncio.timeout(timeout):
            while True:
                arrived = [f["data"] for f in self.notifications if f.get("method") == method]
                if len(arrived) >= count:
                    return arrived[:count]
                self._arrived.clear()
                await self._arrived.wait()

    async def no_event(self, method: str, wait: float = 0.5) -> None:
        """Assert that no ``method`` notification arrives within ``wait`` seconds."""
        await asyncio.sleep(wait)
        assert all(f.get("method") != method for f in self.notifications), self.notifications

    async def close(self) -> None:
        await self.connection.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


async def open_socket(ws_url: str, credential: str) -> Socket:
    connection = await connect(
        ws_url,
        additional_headers={"Authorization": f"Bearer {credential}"},
        subprotocols=["protoo"],  # type: ignore[list-item]
        open_timeout=EVENT_TIMEOUT,
    )
    socket = Socket(connection)
    socket.start()
    return socket


class Participant:
    """One client (one cookie jar): opens a link, then calls the API with its credential."""

    def __init__(self, base_url: str, ws_url: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10)
        self.ws_url = ws_url
        self.credential: str | None = None
        self.session: dict[str, Any] | None = None
        self.sockets: list[Socket] = []

    async def open(self, link: str) -> httpx.Response:
        response = await self.http.get(link)
        if response.status_code == 200:
            self.session = response.json()["session"]
            self.credential = self.session.get("credential", self.credential)
        return response

    def auth(self) -> dict[str, str]:
        assert self.credential is not None
        return {"Authorization": f"Bearer {self.credential}"}

    async def socket(self) -> Socket:
        assert self.credential is not None
        socket = await open_socket(self.ws_url, self.credential)
        self.sockets.append(socket)
        return socket

    async def close(self) -> None:
        for socket in self.sockets:
            await socket.close()
        await self.http.aclose()
