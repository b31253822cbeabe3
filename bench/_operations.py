"""Each operation of the clinic mix alone: its server CPU, PostgreSQL CPU and SQL statements.

Run by bench/api_load.py after the mix, as a process of its own. In the mix the
operations run side by side, so process CPU cannot be split between them; here each runs
alone, in a slice of its own, over N consultations, with the loops of the mix
(``--concurrency``): first the N creations, then the 3N link openings, the 3N socket
connections, and so on, in the order of a consultation. Each operation's figures are the
server's CPU (with its SFU workers), PostgreSQL's (postmaster and backends), this
generator's, and the SQL statements PostgreSQL ran (``pg_stat_statements``), over the slice,
divided by the operations that succeeded. A slice ends once the server is quiet after its
last answer (``settled``), so that work the server does after answering counts for it: a
socket's leave runs after the closing handshake, and 300 of them take more than a second.
"""

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import psutil

from protoo.websocket import connect as open_socket

from ._api_client import TIMEOUT, Failure, Socket, classify, status_kind
from ._common import cpu_seconds
from ._database import Statements

QUIET = 0.3  # seconds without a statement and (nearly) without server CPU
QUIET_CPU = 0.02  # server CPU seconds allowed meanwhile: psutil counts in 10 ms ticks
SETTLE_AT_MOST = 10.0
ROLES = ("medecin", "patient", "guest")

Call = Callable[[httpx.AsyncClient], Awaitable[Any]]


async def answer(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> Any:
    """The JSON of a 200 answer; a ``Failure`` for any other status."""
    response = await client.request(method, url, **kwargs)
    if response.status_code != 200:
        raise Failure(status_kind(response.status_code), f"{method} {url}: {response.text[:100]}")
    return response.json()


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


class Stage:
    """The operations one after the other, each over its slice; ``result`` has their figures."""

    def __init__(
        self,
        base_url: str,
        ws_url: str,
        operator_key: str,
        concurrency: int,
        server: psutil.Process,
        database: psutil.Process | None,
        statements: Statements | None,
    ) -> None:
        self.base_url, self.ws_url = base_url, ws_url
        self.operator = bearer(operator_key)
        self.concurrency = concurrency
        self.server, self.database, self.statements = server, database, statements
        self.result: dict[str, dict[str, Any]] = {}
        # One client per loop for the whole stage: creating one costs milliseconds.
        self.clients = [
            httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT) for _ in range(concurrency)
        ]
        self.deliveries: dict[str, list[float]] = {}

    def _counters(self) -> dict[str, Any]:
        return {
            "server": cpu_seconds(self.server),
            "database": cpu_seconds(self.database) if self.database else None,
            "generator": time.process_time(),
            "statements": self.statements.count() if self.statements else None,
        }

    async def settled(self) -> dict[str, Any]:
        """The counters once a ``QUIET`` interval saw no statement and almost no server CPU
        (or after ``SETTLE_AT_MOST`` seconds)."""
        deadline = time.perf_counter() + SETTLE_AT_MOST
        last = self._counters()
        while True:
            await asyncio.sleep(QUIET)
            now = self._counters()
            quiet = (
                now["statements"] == last["statements"]
                and now["server"] - last["server"] <= QUIET_CPU
            )
            if quiet or time.perf_counter() > deadline:
                return now
            last = now

    async def measure(self, operation: str, calls: Sequence[Call]) -> list[Any]:
        """Run ``calls`` over ``concurrency`` loops (each with its own client, cookies cleared
        before each call, as a new browser); return their results in order, None for those
        that failed."""
        results: list[Any] = [None] * len(calls)
        latencies: list[float] = []
        errors: dict[str, int] = {}
        queue = iter(enumerate(calls))

        async def loop(client: httpx.AsyncClient) -> None:
            for index, call in queue:
                client.cookies.clear()
                start = time.perf_counter()
                try:
                    results[index] = await call(client)
                except Exception as error:  # counted; the slice goes on
                    key = f"[{classify(error)}] {type(error).__name__}: {error}"[:160]
                    errors[key] = errors.get(key, 0) + 1
                    continue
                latencies.append(time.perf_counter() - start)

        before, start = self._counters(), time.perf_counter()
        await asyncio.gather(*(loop(client) for client in self.clients))
        seconds = time.perf_counter() - start
        after = await self.settled()
        spent = {
            name: None if value is None else after[name] - value for name, value in before.items()
        }
        self.result[operation] = {
            "n": len(latencies),
            "seconds": seconds,
            "latencies": latencies,
            "errors": errors,
            "cpu": {name: spent[name] for name in ("server", "database", "generator")},
            "statements": None if spent["statements"] is None else spent["statements"][0],
            "begins": None if spent["statements"] is None else spent["statements"][1],
        }
        return results

    def delivered(self, event: str, seconds: float) -> None:
        self.deliveries.setdefault(f"{event} delivery", []).append(seconds)

    async def run(self, consultations: int) -> None:
        """The operations of ``consultations`` whole consultations, slice by slice; one whose
        step failed (counted) drops out of the later slices."""
        created = await self.measure(
            "POST /onetoone",
            [
                lambda client: answer(client, "POST", "/onetoone", headers=self.operator)
                for _ in range(consultations)
            ],
        )
        live = [
            Consultation(
                token=c["onetoone"]["token"],
                links={
                    s["role"]: f"/session/{c['onetoone']['token']}/{s['token']}"
                    for s in c["sessions"]
                },
            )
            for c in created
            if c is not None
        ]
        ended = list(live)
        opened = await self.measure(
            "GET link",
            [
                (lambda client, url=c.links[role]: answer(client, "GET", url))
                for c in live
                for role in ROLES
            ],
        )
        for index, c in enumerate(live):
            for offset, role in enumerate(ROLES):
                if (session := opened[3 * index + offset]) is not None:
                    c.credentials[role] = session["session"]["credential"]
        live = [c for c in live if len(c.credentials) == 3]

        def connect(credential: str) -> Call:
            async def call(_: httpx.AsyncClient) -> Socket:
                return Socket(await open_socket(self.ws_url, credential, timeout=TIMEOUT))

            return call

        connected = await self.measure(
            "ws connect", [connect(c.credentials[role]) for c in live for role in ROLES]
        )
        for index, c in enumerate(live):
            for offset, role in enumerate(ROLES):
                if (socket := connected[3 * index + offset]) is not None:
                    c.sockets[role] = socket
        await self._inside([c for c in live if len(c.sockets) == 3])

        def close(socket: Socket) -> Call:
            async def call(_: httpx.AsyncClient) -> None:
                if isinstance(error := await socket.close(), Exception):
                    raise error

            return call

        await self.measure(
            "ws close", [close(socket) for c in live for socket in c.sockets.values()]
        )
        await self.measure(
            "DELETE /onetoone",
            [
                (
                    lambda client, token=c.token: answer(
                        client, "DELETE", f"/onetoone/{token}", headers=self.operator
                    )
                )
                for c in ended
            ],
        )

    async def _inside(self, live: list["Consultation"]) -> None:
        """The operations of the consultations whose three sockets are open."""

        def form(c: Consultation, index: int) -> Call:
            async def call(client: httpx.AsyncClient) -> Any:
                sent = time.perf_counter()
                body = {"data": {f"field{index}": index, "weight": 70 + index}}
                headers = bearer(c.credentials["patient"])
                result = await answer(client, "POST", "/session/infos", json=body, headers=headers)
                arrived, _ = await c.sockets["medecin"].event("infoUpdate")
                self.delivered("infoUpdate", arrived - sent)
                return result

            return call

        # Update by update across the consultations: one's updates are never concurrent.
        await self.measure(
            "POST /session/infos", [form(c, index) for index in range(3) for c in live]
        )

        def chat(c: Consultation) -> Call:
            async def call(_: httpx.AsyncClient) -> Any:
                sent = time.perf_counter()
                result = await c.sockets["medecin"].request("sendMessage", {"text": "Bonjour"})
                arrived, _ = await c.sockets["patient"].event("newMessage")
                self.delivered("newMessage", arrived - sent)
                return result

            return call

        await self.measure("ws sendMessage", [chat(c) for c in live])
        pending = await self.measure(
            "GET link (pending)",
            [(lambda client, url=c.links["patient"]: answer(client, "GET", url)) for c in live],
        )

        def validate(c: Consultation, session_id: int) -> Call:
            return lambda client: answer(
                client,
                "POST",
                "/validate",
                # Beside the first device, whose GET /messages is measured next.
                json={"sessionId": session_id, "replace": False},
                headers=bearer(c.credentials["medecin"]),
            )

        await self.measure(
            "POST /validate",
            [
                validate(c, p["session"]["id"])
                for c, p in zip(live, pending, strict=True)
                if p is not None
            ],
        )
        await self.measure(
            "GET /messages",
            [
                (
                    lambda client, credential=c.credentials["patient"]: answer(
                        client, "GET", "/messages", headers=bearer(credential)
                    )
                )
                for c in live
            ],
        )


@dataclass
class Consultation:
    """What the stage knows of one of its consultations."""

    token: str
    links: dict[str, str]
    credentials: dict[str, str] = field(default_factory=dict)
    sockets: dict[str, Socket] = field(default_factory=dict)


async def main(arguments: argparse.Namespace) -> None:
    statements = Statements(arguments.database_url) if arguments.database_url else None
    stage = Stage(
        arguments.base_url,
        arguments.ws_url,
        arguments.operator_key,
        arguments.concurrency,
        psutil.Process(arguments.server_pid),
        psutil.Process(arguments.database_pid) if arguments.database_pid else None,
        statements,
    )
    try:
        await stage.run(arguments.consultations)
    finally:
        for client in stage.clients:
            await client.aclose()
        if statements is not None:
            statements.close()
    print(json.dumps({"operations": stage.result, "deliveries": stage.deliveries}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="the per-operation stage of bench.api_load")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--ws-url", required=True)
    parser.add_argument("--operator-key", required=True)
    parser.add_argument("--server-pid", type=int, required=True)
    parser.add_argument("--database-pid", type=int, help="PostgreSQL's postmaster, for its CPU")
    parser.add_argument("--database-url", help="to count statements (pg_stat_statements)")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--consultations", type=int, default=100)
    asyncio.run(main(parser.parse_args()))
