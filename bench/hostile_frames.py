"""What one client's large socket frames cost everyone else.

A real ``hocovisio run``; consultation A has a doctor and a patient in the call and a device in
its waiting room; consultation B, another clinic's, has its doctor's socket. A prober times
B's ``getPeers`` and ``GET /healthz`` every 20 ms, through three phases of 5 s each:

- calm: nobody attacks;
- huge: the waiting device and the patient of A each send a 16 MB frame of nested arrays,
  again and again (a new socket after each close);
- capped: the patient of A sends frames of 60 KiB of nested arrays, just under an admitted
  socket's cap, as fast as the connection takes them (a new socket after each close).

Reported per phase: p50 and p99 of both probes, the frames sent, and the server's peak
resident memory.

    MEDIASOUP_WORKER_BIN=... .venv/bin/python -m bench.hostile_frames
"""

import asyncio
import contextlib
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import websockets

from tests.client import Participant, create_consultation
from tests.server import hocovisio

from ._common import machine, ms, percentile
from ._database import postgres

PHASE = 5.0
PROBE_EVERY = 0.02
HUGE = 16 * 1024 * 1024 - 200
CAPPED = 60 * 1024


def nested(size: int) -> str:
    head, tail = '{"request":true,"id":7,"method":"getPeers","data":{"k":[', "]}}"
    items = "[]," * ((size - len(head) - len(tail)) // 3)
    return head + items[:-1] + tail


async def _prober(
    socket: Any, http: httpx.AsyncClient, stop: asyncio.Event, into: dict[str, list[float]]
) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        assert (await socket.request("getPeers"))["ok"]
        middle = time.perf_counter()
        assert (await http.get("/healthz")).status_code == 200
        into["getPeers"].append(middle - started)
        into["healthz"].append(time.perf_counter() - middle)
        await asyncio.sleep(PROBE_EVERY)


async def _huge_sender(who: Participant, stop: asyncio.Event, sent: list[int]) -> None:
    frame = nested(HUGE)
    while not stop.is_set():
        with contextlib.suppress(websockets.ConnectionClosed, OSError):
            socket = await who.socket()
            await socket.connection.send(frame)
            sent[0] += 1
            await socket.connection.wait_closed()


async def _capped_sender(who: Participant, stop: asyncio.Event, sent: list[int]) -> None:
    """Frames just under the cap as fast as the connection takes them, on a new socket each
    time the server closes one."""
    frame = nested(CAPPED)
    while not stop.is_set():
        with contextlib.suppress(websockets.ConnectionClosed, OSError):
            socket = await who.socket()
            while not stop.is_set():
                await socket.connection.send(frame)
                sent[0] += 1
                await asyncio.sleep(0)


async def run(base_url: str, ws_url: str, operator_key: str, pid: int) -> list[dict[str, Any]]:
    server = psutil.Process(pid)
    peak = [0]

    async def watch(stop: asyncio.Event) -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], sum(p.memory_info().rss for p in [server]))
            await asyncio.sleep(0.05)

    async with httpx.AsyncClient(base_url=base_url, verify=False) as http:
        a = await create_consultation(http, operator_key)
        b = await create_consultation(http, operator_key)
        doctor_a, patient_a, waiting_a, doctor_b = (Participant(base_url, ws_url) for _ in range(4))
        for person, link in (
            (doctor_a, a.link("medecin")),
            (patient_a, a.link("patient")),
            (waiting_a, a.link("patient")),
            (doctor_b, b.link("medecin")),
        ):
            assert (await person.open(link)).status_code == 200
        await doctor_a.socket()
        probe_socket = await doctor_b.socket()
        phases = []
        for name in ("calm", "huge", "capped"):
            stop = asyncio.Event()
            probes: dict[str, list[float]] = {"getPeers": [], "healthz": []}
            sent = [0]
            peak[0] = 0
            tasks = [
                asyncio.create_task(_prober(probe_socket, http, stop, probes)),
                asyncio.create_task(watch(stop)),
            ]
            if name == "huge":
                tasks += [
                    asyncio.create_task(_huge_sender(who, stop, sent))
                    for who in (waiting_a, patient_a)
                ]
            elif name == "capped":
                tasks.append(asyncio.create_task(_capped_sender(patient_a, stop, sent)))
            await asyncio.sleep(PHASE)
            stop.set()
            for task in tasks:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(task, 30)
            phases.append({"name": name, "sent": sent[0], "peak": peak[0], **probes})
        for person in (doctor_a, patient_a, waiting_a, doctor_b):
            await person.close()
    return phases


def main() -> None:
    print(machine())
    with (
        postgres() as database_url,
        tempfile.TemporaryDirectory(prefix="hocovisio-bench-") as folder,
        # The limits as deployed, but for the socket requests: the prober asks 50 a second.
        hocovisio(
            database_url, Path(folder), {"HOCOVISIO_RATE_LIMIT_SOCKET_REQUESTS": "100000"}
        ) as server,
    ):
        phases = asyncio.run(
            run(server.base_url, server.ws_url, server.operator_key, server.process.pid)
        )
    print("phase   frames sent   getPeers p50 / p99        healthz p50 / p99        peak RSS")
    for phase in phases:
        peers, health = phase["getPeers"], phase["healthz"]
        print(
            f"{phase['name']:<8}{phase['sent']:>10}   "
            f"{ms(percentile(peers, 0.5)):>10} / {ms(percentile(peers, 0.99)):>10}   "
            f"{ms(percentile(health, 0.5)):>10} / {ms(percentile(health, 0.99)):>10}   "
            f"{phase['peak'] / 2**20:.0f} MiB"
        )


if __name__ == "__main__":
    main()
