"""SQL round trips per operation, and the CPU of a form update, on a real server.

Starts a real ``hocovisio run`` whose database connections go through a counting proxy
(tests/pg_wire.py): every message its driver sends is seen, pre-pings, ``BEGIN``, ``COMMIT``
and rollbacks included. Each operation of a consultation runs alone, and the proxy's counts
are read once the service has gone quiet (its work after an answer, a socket's leaving).

Then, with ``--updates N``, ``--concurrency`` patients of as many consultations post ``N``
form updates in all (each with the doctor's socket open, so every update is delivered), and
the report gives the CPU per update of the server process and of PostgreSQL (postmaster and
backends), measured around those updates only.

    MEDIASOUP_WORKER_BIN=... .venv/bin/python -m bench.round_trips [--updates 2000] [--sql]
"""

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import psutil

from tests.client import Consultation, Participant, Socket, create_consultation
from tests.pg_wire import Counts, WireCounter, counting
from tests.server import RunningServer, hocovisio, postgres

from ._api_client import cpu_seconds
from ._common import machine
from .soak import postmaster


class Tally:
    """Runs operations one at a time and keeps the proxy's counts of each."""

    def __init__(self, counter: WireCounter, show_sql: bool) -> None:
        self.counter = counter
        self.show_sql = show_sql
        self.rows: list[tuple[str, Counts]] = []

    async def measure(self, name: str, operation: Awaitable[Any]) -> Any:
        before = await self.counter.asettle()
        result = await operation
        counts = (await self.counter.asettle()) - before
        self.rows.append((name, counts))
        return result

    def report(self) -> None:
        print("| operation | round trips | of which pre-ping | of which prepare | the work |")
        print("|---|---|---|---|---|")
        for name, c in self.rows:
            print(f"| {name} | {c.round_trips} | {c.pre_pings} | {c.prepares} | **{c.steady}** |")
        opened = sum(counts.connections for _, counts in self.rows)
        print(f"\n(new database connections opened meanwhile: {opened})")
        if self.show_sql:
            for name, counts in self.rows:
                print(f"\n{name}:")
                for label in counts.labels:
                    print(f"    {label[:160]}")


def ok(response: httpx.Response) -> httpx.Response:
    assert response.status_code == 200, (response.status_code, response.text)
    return response


async def operations(server: RunningServer, tally: Tally) -> None:
    measure = tally.measure
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as operator:
        # Warm-up: the pool's connections are opened, statements prepared.
        for _ in range(3):
            await one_consultation(server, operator, None)
        await one_consultation(server, operator, measure)


async def one_consultation(
    server: RunningServer,
    operator: httpx.AsyncClient,
    measure: Callable[[str, Awaitable[Any]], Awaitable[Any]] | None,
) -> None:
    async def step(name: str, operation: Awaitable[Any]) -> Any:
        return await (measure(name, operation) if measure else operation)

    consultation: Consultation = await step(
        "POST /onetoone", create_consultation(operator, server.operator_key)
    )
    doctor, patient, other = (Participant(server.base_url, server.ws_url) for _ in range(3))
    try:
        await step("GET link: doctor", doctor.open(consultation.link("medecin")))
        await step("GET link: first use", patient.open(consultation.link("patient")))
        await step("GET link: reopened", patient.open(consultation.link("patient")))
        doctor_socket: Socket = await step("socket connect (doctor)", doctor.socket())
        patient_socket: Socket = await step("socket connect (patient)", patient.socket())
        await step(
            "POST /session/infos",
            patient.http.post("/session/infos", json={"data": {"weight": 72}}),
        )
        await doctor_socket.event("infoUpdate")
        await step("GET /session/infos", doctor.http.get("/session/infos"))
        await step("POST /message", patient.http.post("/message", json={"text": "hello"}))
        await step("socket sendMessage", doctor_socket.request("sendMessage", {"text": "hi"}))
        await step("GET /messages", patient.http.get("/messages"))
        await step("GET link: pending", other.open(consultation.link("patient")))
        assert other.session is not None
        await doctor_socket.event("newSessionToValidate")
        pending_socket: Socket = await step("socket connect (pending)", other.socket())
        await step(
            "POST /validate", doctor.http.post("/validate", json={"sessionId": other.session["id"]})
        )
        await pending_socket.event("newSessionIsValidate")
        await step("socket leave (patient)", patient_socket.close())
        await step("socket leave (admitted)", pending_socket.close())
        await step("socket leave (doctor)", doctor_socket.close())
        headers = {"Authorization": f"Bearer {server.operator_key}"}
        await step(
            "DELETE /onetoone", operator.delete(f"/onetoone/{consultation.token}", headers=headers)
        )
    finally:
        for client in (doctor, patient, other):
            await client.close()


async def form_updates(server: RunningServer, database: psutil.Process, args: Any) -> None:
    """``args.updates`` form updates from ``args.concurrency`` patients at once."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as operator:
        pairs = []
        for _ in range(args.concurrency):
            consultation = await create_consultation(operator, server.operator_key)
            doctor, patient = (Participant(server.base_url, server.ws_url) for _ in range(2))
            ok(await doctor.open(consultation.link("medecin")))
            ok(await patient.open(consultation.link("patient")))
            pairs.append((doctor, patient, await doctor.socket()))
        per_loop = args.updates // args.concurrency

        async def loop(patient: Participant, socket: Socket, count: int) -> None:
            for index in range(count):
                ok(await patient.http.post("/session/infos", json={"data": {"n": index}}))
            await socket.events("infoUpdate", count, timeout=60)

        # Warm-up: prepared statements, pool connections, the interpreter's caches.
        await asyncio.gather(*(loop(p, s, 20) for _, p, s in pairs))
        for _, _, socket in pairs:
            socket.notifications.clear()
        server_process = psutil.Process(server.process.pid)
        cpu_server, cpu_database = cpu_seconds(server_process), cpu_seconds(database)
        started = time.perf_counter()
        await asyncio.gather(*(loop(p, s, per_loop) for _, p, s in pairs))
        elapsed = time.perf_counter() - started
        count = per_loop * args.concurrency
        server_ms = (cpu_seconds(server_process) - cpu_server) / count * 1000
        database_ms = (cpu_seconds(database) - cpu_database) / count * 1000
        print(
            f"\nPOST /session/infos x{count} ({args.concurrency} at once, each delivered):"
            f" {count / elapsed:.0f} req/s, server CPU {server_ms:.2f} ms per update,"
            f" PostgreSQL CPU {database_ms:.2f} ms per update"
        )
        for doctor, patient, _ in pairs:
            await doctor.close()
            await patient.close()


def main(args: argparse.Namespace) -> None:
    print(f"# SQL round trips per operation\n{machine()}\n")
    with (
        postgres() as database_url,
        counting(database_url) as (counter, counted_url),
        tempfile.TemporaryDirectory(prefix="hocovisio-bench-") as folder,
        hocovisio(
            counted_url,
            Path(folder),
            extra_env={"HOCOVISIO_RATE_LIMIT_ENABLED": "false", "HOCOVISIO_MONITOR_INTERVAL": "0"},
        ) as server,
    ):
        tally = Tally(counter, args.sql)
        asyncio.run(operations(server, tally))
        tally.report()
        if args.updates:
            database = psutil.Process(postmaster(database_url))
            for _ in range(args.repeat):
                asyncio.run(form_updates(server, database, args))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sql", action="store_true", help="list each round trip's SQL")
    parser.add_argument("--updates", type=int, default=0, help="form updates to time (CPU)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=1, help="runs of the form updates")
    main(parser.parse_args())
