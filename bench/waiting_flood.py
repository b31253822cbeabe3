"""A waiting-room flood against one consultation, with the service's default limits.

Twelve clients, each on its own loopback address (127.0.0.2-13), open a used patient link as
fast as they can, 100 times each: every opening comes without a cookie, and each goes on with
the link of the waiting session it was last given (a new link each time), as a hostile client
would. Meanwhile a prober times ``GET /healthz`` every 20 ms. Then the doctor's socket
connects: it must be told of every device still waiting and stay open.

Reported: what the openings were answered (200, 429 and why), the devices left waiting, the
server's and PostgreSQL's CPU during the flood, ``/healthz`` p50/p99 before and during it,
and what the doctor's socket got (events, close code).

    MEDIASOUP_WORKER_BIN=... .venv/bin/python -m bench.waiting_flood
"""

import asyncio
import collections
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg
import websockets

from tests.client import create_consultation, open_socket
from tests.server import hocovisio

from ._common import cpu_seconds, machine, ms, percentile
from ._database import postgres, postmaster

ADDRESSES = 12
OPENINGS = 100  # per address
PROBE_EVERY = 0.02


async def _attacker(
    base_url: str, address: str, first_link: str, answers: collections.Counter
) -> None:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    link = first_link
    async with httpx.AsyncClient(base_url=base_url, transport=transport, verify=False) as http:
        for _ in range(OPENINGS):
            http.cookies.clear()
            answer = await http.get(link)
            reason = answer.json().get("msg", "") if answer.status_code != 200 else ""
            answers[(answer.status_code, reason)] += 1
            if answer.status_code == 200:
                session = answer.json()["session"]
                link = f"/session/{session['onetoone_token']}/{session['token']}"


async def _probe(base_url: str, until: asyncio.Event, latencies: list[float]) -> None:
    async with httpx.AsyncClient(base_url=base_url, verify=False) as http:
        while not until.is_set():
            started = time.perf_counter()
            assert (await http.get("/healthz")).status_code == 200
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(PROBE_EVERY)


async def flood(base_url: str, ws_url: str, operator_key: str, database_url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url, verify=False) as http:
        consultation = await create_consultation(http, operator_key)
        assert (await http.get(consultation.link("patient"))).status_code == 200  # in the call
        calm: list[float] = []
        done = asyncio.Event()
        prober = asyncio.create_task(_probe(base_url, done, calm))
        await asyncio.sleep(1.0)
        done.set()
        await prober
        answers: collections.Counter = collections.Counter()
        during: list[float] = []
        done = asyncio.Event()
        prober = asyncio.create_task(_probe(base_url, done, during))
        started = time.perf_counter()
        await asyncio.gather(
            *(
                _attacker(base_url, f"127.0.0.{n + 2}", consultation.link("patient"), answers)
                for n in range(ADDRESSES)
            )
        )
        elapsed = time.perf_counter() - started
        done.set()
        await prober
        with psycopg.connect(database_url, autocommit=True) as db:
            (waiting,) = db.execute(
                "SELECT count(*) FROM session s JOIN onetoone o ON o.id = s.onetoone_id"
                " WHERE o.token = %s AND s.validate_fromadmin = 0 AND s.refused_at IS NULL"
                " AND s.left_at IS NULL",
                (consultation.token,),
            ).fetchone()
        doctor = (await http.get(consultation.link("medecin"))).json()["session"]
        told = 0
        close_code = None
        try:
            socket = await open_socket(ws_url, doctor["credential"])
            try:
                told = len(await socket.events("newSessionToValidate", waiting, timeout=20))
            except TimeoutError:
                told = sum(f.get("method") == "newSessionToValidate" for f in socket.notifications)
            close_code = socket.connection.close_code
            await socket.close()
        except websockets.InvalidStatus as refused:
            close_code = refused.response.status_code
    return {
        "answers": answers,
        "elapsed": elapsed,
        "waiting": waiting,
        "told": told,
        "close_code": close_code,
        "calm": calm,
        "during": during,
    }


def main() -> None:
    print(machine())
    with (
        postgres() as database_url,
        tempfile.TemporaryDirectory(prefix="hocovisio-bench-") as folder,
        hocovisio(database_url, Path(folder)) as server,
    ):
        process = psutil.Process(server.process.pid)
        database = psutil.Process(postmaster(database_url))
        before = cpu_seconds(process), cpu_seconds(database)
        result = asyncio.run(
            flood(server.base_url, server.ws_url, server.operator_key, database_url)
        )
        server_cpu = cpu_seconds(process) - before[0]
        database_cpu = cpu_seconds(database) - before[1]
    total = ADDRESSES * OPENINGS
    print(f"{total} link openings from {ADDRESSES} addresses in {result['elapsed']:.1f} s:")
    for (status, reason), count in sorted(result["answers"].items()):
        print(f"  {status} {reason or ''}: {count}")
    print(f"devices left waiting: {result['waiting']}")
    print(
        f"server CPU {server_cpu:.2f} s ({server_cpu / total * 1000:.2f} ms per opening),"
        f" PostgreSQL CPU {database_cpu:.2f} s ({database_cpu / total * 1000:.2f} ms per opening)"
    )
    for name in ("calm", "during"):
        values = result[name]
        print(
            f"/healthz {name}: p50 {ms(percentile(values, 0.5))},"
            f" p99 {ms(percentile(values, 0.99))} ({len(values)} probes)"
        )
    print(
        f"the doctor's socket: told of {result['told']} waiting devices,"
        f" close code {result['close_code']} (None: open)"
    )


if __name__ == "__main__":
    main()
