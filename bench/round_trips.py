"""SQL round trips per operation, and the CPU of a form update, on a real server.

Starts a real ``hocovisio run`` whose database connections go through a counting proxy
(tests/pg_wire.py): every message its driver sends is seen, pre-pings, ``BEGIN``, ``COMMIT``
and rollbacks included. Each operation of a consultation runs alone, and the proxy's counts
are read once the service has gone quiet (its work after an answer, a socket's leaving).

Then, with ``--batch N``, each repeatable operation runs ``N`` times from ``--concurrency``
consultations at once (the doctor's and the patient's sockets open, so every form update and
message is delivered), and the report gives the CPU per operation of the server process and
of PostgreSQL (postmaster and backends), measured around each batch only.

    MEDIASOUP_WORKER_BIN=... .venv/bin/python -m bench.round_trips [--batch 1000] [--sql]
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


Operation = Callable[["Clinic", int], Awaitable[Any]]


class Clinic:
    """One consultation of the CPU runs: the doctor's and the patient's clients and sockets."""

    def __init__(self, server: RunningServer, consultation: Consultation) -> None:
        self.server = server
        self.consultation = consultation
        self.doctor, self.patient, self.other = (
            Participant(server.base_url, server.ws_url) for _ in range(3)
        )

    async def open(self) -> None:
        ok(await self.doctor.open(self.consultation.link("medecin")))
        ok(await self.patient.open(self.consultation.link("patient")))
        self.doctor_socket = await self.doctor.socket()
        self.patient_socket = await self.patient.socket()

    async def close(self) -> None:
        for client in (self.doctor, self.patient, self.other):
            await client.close()


async def _connect_and_leave(clinic: Clinic, _: int) -> None:
    socket = await clinic.patient.socket()
    await socket.close()
    clinic.patient.sockets.remove(socket)


async def _pending(clinic: Clinic, _: int) -> None:
    clinic.other.http.cookies.clear()  # another client each time: a new pending session
    ok(await clinic.other.open(clinic.consultation.link("patient")))


OPERATIONS: dict[str, Operation] = {
    "POST /session/infos": lambda c, i: c.patient.http.post(
        "/session/infos", json={"data": {"n": i}}
    ),
    "GET /session/infos": lambda c, i: c.patient.http.get("/session/infos"),
    "POST /message": lambda c, i: c.patient.http.post("/message", json={"text": f"m{i}"}),
    "socket sendMessage": lambda c, i: c.patient_socket.request("sendMessage", {"text": f"s{i}"}),
    "GET /messages": lambda c, i: c.patient.http.get("/messages"),
    "GET link: doctor": lambda c, i: c.doctor.open(c.consultation.link("medecin")),
    "GET link: pending": _pending,
    "socket connect + leave": _connect_and_leave,
}


async def cpu_per_operation(server: RunningServer, database: psutil.Process, args: Any) -> None:
    """Each operation ``args.batch`` times, from ``args.concurrency`` consultations at once:
    the server's and PostgreSQL's CPU per operation."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as operator:
        clinics = [
            Clinic(server, await create_consultation(operator, server.operator_key))
            for _ in range(args.concurrency)
        ]
        for clinic in clinics:
            await clinic.open()
        server_process = psutil.Process(server.process.pid)
        per_loop = args.batch // args.concurrency
        print(f"\n| {args.concurrency} at once | req/s | server CPU per request | PostgreSQL CPU |")
        print("|---|---|---|---|")
        for name, operation in OPERATIONS.items():

            async def loop(clinic: Clinic, count: int, operation: Operation = operation) -> None:
                for index in range(count):
                    result = await operation(clinic, index)
                    if isinstance(result, httpx.Response):
                        ok(result)

            await asyncio.gather(*(loop(clinic, 10) for clinic in clinics))  # warm-up
            await asyncio.sleep(0.3)
            cpu_server, cpu_database = cpu_seconds(server_process), cpu_seconds(database)
            started = time.perf_counter()
            await asyncio.gather(*(loop(clinic, per_loop) for clinic in clinics))
            elapsed = time.perf_counter() - started
            await asyncio.sleep(0.3)  # what follows the answers (a socket's leaving)
            count = per_loop * args.concurrency
            server_ms = (cpu_seconds(server_process) - cpu_server) / count * 1000
            database_ms = (cpu_seconds(database) - cpu_database) / count * 1000
            print(f"| {name} | {count / elapsed:.0f} | {server_ms:.2f} ms | {database_ms:.2f} ms |")
        for clinic in clinics:
            await clinic.close()


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
        if args.batch:
            database = psutil.Process(postmaster(database_url))
            for _ in range(args.repeat):
                asyncio.run(cpu_per_operation(server, database, args))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sql", action="store_true", help="list each round trip's SQL")
    parser.add_argument("--batch", type=int, default=0, help="runs of each operation (CPU)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=1, help="runs of the batches")
    main(parser.parse_args())
