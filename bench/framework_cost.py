"""The framework's fixed costs: server CPU per request, and memory and CPU per socket.

Starts a real ``hocovisio run`` (and an embedded PostgreSQL unless ``DATABASE_URL`` is set)
and measures, with the server process's own CPU time (its SFU workers left out: they are
idle here), back to back in one run:

* ``GET /healthz``: no database, no authentication; what every request pays;
* ``POST /session/infos``: one patient per client loop updating its consultation's form,
  nobody listening (the framework's share plus the database layer's);
* ``--sockets`` idle authenticated sockets (a doctor's and a patient's per consultation,
  offering ``permessage-deflate`` like every browser): the server's resident memory per
  socket once they are all open, and its CPU per socket opened.

The load generator is this process: a minimal HTTP/1.1 keep-alive client on raw asyncio
streams (cheap, so that it takes little of the machine from the server) and ``websockets``
for the sockets. Rate limits are off, as in bench/api_load.py.

    MEDIASOUP_WORKER_BIN=... .venv/bin/python -m bench.framework_cost [--sockets 2000]
"""

import argparse
import asyncio
import json
import resource
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil

from protoo.websocket import connect
from tests.server import hocovisio, postgres

from ._common import machine

Call = Callable[["HttpClient"], Awaitable[None]]


class HttpClient:
    """One keep-alive HTTP/1.1 connection; JSON bodies with a ``Content-Length`` only."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, Any]:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        payload = b"" if body is None else json.dumps(body).encode()
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        if token is not None:
            head += f"Authorization: Bearer {token}\r\n"
        if body is not None:
            head += "Content-Type: application/json\r\n"
        head += f"Content-Length: {len(payload)}\r\n\r\n"
        writer.write(head.encode() + payload)
        status_line = await reader.readline()
        length, close = 0, False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and "close" in value.lower():
                close = True
        data = await reader.readexactly(length)
        if close:
            await self.close()
        return int(status_line.split()[1]), json.loads(data) if data else None

    async def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


def cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


async def consultation(client: HttpClient, operator_key: str) -> tuple[str, str]:
    """A new consultation; the doctor's and the patient's credentials."""
    status, created = await client.request("POST", "/onetoone", {}, token=operator_key)
    assert status == 200, created
    onetoone = created["onetoone"]["token"]
    credentials = []
    for session in created["sessions"][:2]:
        status, opened = await client.request("GET", f"/session/{onetoone}/{session['token']}")
        assert status == 200, opened
        credentials.append(opened["session"]["credential"])
    return credentials[0], credentials[1]


async def hammer(
    server: psutil.Process,
    clients: list[HttpClient],
    call: Call,
    seconds: float,
    warm_up: float = 1.0,
) -> tuple[int, float]:
    """Every client repeats ``call`` for ``warm_up`` then ``seconds``; (requests, server CPU s)
    of the measured part."""
    counting = False
    done = 0
    stop_at = time.monotonic() + warm_up + seconds

    async def loop(client: HttpClient) -> None:
        nonlocal done
        while time.monotonic() < stop_at:
            await call(client)
            done += counting

    async def measure() -> tuple[int, float]:
        nonlocal counting, done
        await asyncio.sleep(warm_up)
        counting, before = True, cpu(server)
        await asyncio.sleep(seconds)
        counting = False
        return done, cpu(server) - before

    *_, measured = await asyncio.gather(*(loop(c) for c in clients), measure())
    return measured


async def http_costs(
    base_url: str, operator_key: str, server: psutil.Process, loops: int, seconds: float
) -> dict[str, tuple[int, float]]:
    clients = [HttpClient(base_url) for _ in range(loops)]
    patients = {}
    for client in clients:
        patients[client] = (await consultation(client, operator_key))[1]

    async def healthz(client: HttpClient) -> None:
        status, _ = await client.request("GET", "/healthz")
        assert status == 200

    async def infos(client: HttpClient) -> None:
        status, _ = await client.request(
            "POST", "/session/infos", {"data": {"weight": time.time()}}, token=patients[client]
        )
        assert status == 200

    results = {
        "GET /healthz": await hammer(server, clients, healthz, seconds),
        "POST /session/infos": await hammer(server, clients, infos, seconds),
    }
    for client in clients:
        await client.close()
    return results


async def socket_costs(
    base_url: str, ws_url: str, operator_key: str, server: psutil.Process, count: int
) -> dict[str, Any]:
    clients = [HttpClient(base_url) for _ in range(8)]
    pairs: list[tuple[str, str]] = []

    async def create(client: HttpClient, share: int) -> None:
        for _ in range(share):
            pairs.append(await consultation(client, operator_key))

    await asyncio.gather(*(create(c, (count // 2 + 7) // 8) for c in clients))
    for client in clients:
        await client.close()
    credentials = [credential for pair in pairs for credential in pair][:count]
    await asyncio.sleep(1.0)
    rss_before, cpu_before = server.memory_info().rss, cpu(server)
    limit = asyncio.Semaphore(32)

    async def open_one(credential: str) -> Any:
        async with limit:
            return await connect(ws_url, credential, ping_interval=None, max_queue=16)

    sockets = await asyncio.gather(*(open_one(c) for c in credentials))
    opened_cpu = cpu(server) - cpu_before
    await asyncio.sleep(3.0)
    rss_after = server.memory_info().rss
    extensions = sockets[0].response.headers.get("Sec-WebSocket-Extensions")
    await asyncio.gather(*(s.close() for s in sockets))
    return {
        "sockets": len(sockets),
        "rss_before": rss_before,
        "rss_after": rss_after,
        "cpu_open": opened_cpu,
        "extensions": extensions,
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


async def measure(server_url: str, ws_url: str, key: str, pid: int, args: Any) -> None:
    server = psutil.Process(pid)
    print(f"# framework costs\n{machine()}")
    for _ in range(args.rounds):
        for name, (requests, seconds) in (
            await http_costs(server_url, key, server, args.loops, args.seconds)
        ).items():
            print(
                f"{name:22} {requests:6} requests, server CPU {ms(seconds / requests)}"
                f" per request ({seconds / args.seconds:.0%} of a core)"
            )
    if args.sockets:
        result = await socket_costs(server_url, ws_url, key, server, args.sockets)
        grown = result["rss_after"] - result["rss_before"]
        print(
            f"{result['sockets']} idle sockets: server RSS {result['rss_before'] / 2**20:.1f}"
            f" -> {result['rss_after'] / 2**20:.1f} MiB, {grown / result['sockets'] / 1024:.1f}"
            f" KiB per socket; server CPU to open one {ms(result['cpu_open'] / result['sockets'])}"
            f"; extensions negotiated: {result['extensions'] or 'none'}"
        )


def main(args: argparse.Namespace) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(
        resource.RLIMIT_NOFILE, (max(soft, min(hard, 4 * args.sockets + 1024)), hard)
    )
    extra = {"HOCOVISIO_RATE_LIMIT_ENABLED": "false", "HOCOVISIO_MONITOR_INTERVAL": "0"}
    extra.update(dict(pair.split("=", 1) for pair in args.env))
    with (
        postgres() as database_url,
        tempfile.TemporaryDirectory(prefix="hocovisio-bench-") as folder,
        hocovisio(database_url, Path(folder), extra_env=extra) as server,
    ):
        asyncio.run(
            measure(server.base_url, server.ws_url, server.operator_key, server.process.pid, args)
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loops", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured time per route")
    parser.add_argument("--rounds", type=int, default=2, help="times the routes are measured")
    parser.add_argument("--sockets", type=int, default=2000, help="idle sockets; 0 skips them")
    parser.add_argument(
        "--env", action="append", default=[], help="NAME=VALUE for the server (repeatable)"
    )
    main(parser.parse_args())
