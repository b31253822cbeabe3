"""A participant's client in a cluster: its requests and sockets may land on any instance,
as behind a round-robin load balancer."""

import httpx

from tests.client import Socket, open_socket
from tests.server import RunningServer


class Person:
    """A participant's client, whose requests and sockets may land on any instance."""

    def __init__(self, instances: list[RunningServer]) -> None:
        self.instances = instances
        self.clients = [httpx.AsyncClient(base_url=i.base_url, timeout=10) for i in instances]
        self.credential: str | None = None
        self.session: dict = {}
        self.sockets: list[Socket] = []

    async def open(self, on: int, link: str) -> httpx.Response:
        response = await self.clients[on].get(link)
        if response.status_code == 200:
            self.session = response.json()["session"]
            self.credential = self.session.get("credential", self.credential)
        return response

    @property
    def id(self) -> int:
        return self.session["id"]

    async def socket(self, on: int) -> Socket:
        assert self.credential is not None
        socket = await open_socket(self.instances[on].ws_url, self.credential)
        self.sockets.append(socket)
        return socket

    async def post(self, on: int, path: str, body: dict) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.credential}"}
        return await self.clients[on].post(path, json=body, headers=headers)

    async def get(self, on: int, path: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.credential}"}
        return await self.clients[on].get(path, headers=headers)

    async def aclose(self) -> None:
        for socket in self.sockets:
            await socket.close()
        for client in self.clients:
            await client.aclose()
