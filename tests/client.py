"""What a clinic app does, through real HTTP and a real WebSocket."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection

import protoo
from protoo.websocket import connect

EVENT_TIMEOUT = 5.0


@dataclass
class Consultation:
    token: str
    sessions: dict[str, dict[str, Any]]
    id: int = 0

    def link(self, role: str) -> str:
        return f"/session/{self.token}/{self.sessions[role]['token']}"


async def create_consultation(
    http: httpx.AsyncClient, operator_key: str, e2ee: bool | None = None, **options: object
) -> Consultation:
    """A new consultation; ``options``: more of ``POST /onetoone``'s (``doctor_name``)."""
    body = ({} if e2ee is None else {"e2ee": e2ee}) | options or None
    headers = {"Authorization": f"Bearer {operator_key}"}
    response = await http.post("/onetoone", headers=headers, json=body)
    assert response.status_code == 200, response.text
    sessions = {s["role"]: s for s in response.json()["sessions"]}
    onetoone = response.json()["onetoone"]
    return Consultation(onetoone["token"], sessions, onetoone["id"])


class Socket:
    """A participant's protoo socket that keeps the notifications it receives, and the errors
    about frames the server could not read (id null)."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.notifications: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()
        self.peer = protoo.Connection(
            connection, timeout=EVENT_TIMEOUT, on_notification=self._keep, on_error=self._keep
        )

    @property
    def on_request(self) -> protoo.RequestHandler | None:
        """Answers the server's requests (``newConsumer``); without it they are refused."""
        return self.peer.on_request

    @on_request.setter
    def on_request(self, handler: protoo.RequestHandler | None) -> None:
        self.peer.on_request = handler

    def _keep(self, frame: protoo.Notification | protoo.Response) -> None:
        self.notifications.append(frame.frame())
        self._arrived.set()

    async def request(self, method: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        """The whole response frame, ``ok`` or not."""
        return (await self.peer.exchange(method, data)).frame()

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
        await self.peer.close()


async def open_socket(ws_url: str, credential: str) -> Socket:
    return Socket(await connect(ws_url, credential, timeout=EVENT_TIMEOUT))


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
