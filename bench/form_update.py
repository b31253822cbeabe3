"""Server CPU per ``POST /session/infos``: the form update, measured alone.

Starts a real ``hocovisio run`` and an embedded PostgreSQL that counts statements
(``pg_stat_statements``; with ``DATABASE_URL`` set, that server, whose CPU is then not
measured). ``--consultations`` consultations are opened as a clinic would (the operator
creates each, the three participants open their links and connect their sockets), so that
every update is announced to two sockets (``infoUpdate``). Then the patients send
``--updates`` form updates per round, over ``--concurrency`` loops (light concurrency: the
server is busy, not saturated), for ``--rounds`` rounds after a warm-up. Each round reports:

* the server process's CPU per update (its SFU workers, idle here, are not counted);
* PostgreSQL's CPU per update (the postmaster and all its processes: backends, WAL writer...);
* SQL statements per update, and the BEGINs among them (the pool's pre-ping, an empty query,
  is not counted: bench/_database.py says how they relate to round trips);
* the update's latency p50/p99, and the events the doctors' sockets received.

The figure to compare is the median round's server CPU (target: 2 ms).

    MEDIASOUP_WORKER_BIN=... .venv/bin/python -m bench.form_update

About 1 minute with the defaults on the code of issue 16's start (2 vCPUs).
"""

import argparse
import asyncio
import os
import statistics
import time
from typing import Any

import httpx
import psutil

from protoo.websocket import connect
from tests.server import RunningServer

from ._api_client import TIMEOUT, Socket
from ._common import cpu_seconds, machine, ms, percentile
from ._database import Counts, Statements, bench_server, postmaster
from ._operations import answer, bearer

ROLES = ("medecin", "patient", "guest")


async def open_consultation(client: httpx.AsyncClient, server: RunningServer) -> dict[str, Any]:
    """A consultation with its three links opened and its three sockets connected."""
    created = await answer(client, "POST", "/onetoone", headers=bearer(server.operator_key))
    credentials = {}
    for session in created["sessions"]:
        client.cookies.clear()
        url = f"/session/{created['onetoone']['token']}/{session['token']}"
        credentials[session["role"]] = (await answer(client, "GET", url))["session"]["credential"]
    sockets = {
        role: Socket(await connect(server.ws_url, credentials[role], timeout=TIMEOUT))
        for role in ROLES
    }
    return {"token": created["onetoone"]["token"], "credentials": credentials, "sockets": sockets}


async def updates(
    client: httpx.AsyncClient, consultations: list[dict[str, Any]], count: int, concurrency: int
) -> list[float]:
    """``count`` updates over ``concurrency`` loops, loop i on consultation i (modulo); their
    latencies."""
    latencies: list[float] = []
    remaining = iter(range(count))

    async def loop(index: int) -> None:
        consultation = consultations[index % len(consultations)]
        headers = bearer(consultation["credentials"]["patient"])
        for sequence in remaining:
            start = time.perf_counter()
            body = {"data": {"seq": sequence, "weight": 60 + sequence % 40}}
            await answer(client, "POST", "/session/infos", json=body, headers=headers)
            latencies.append(time.perf_counter() - start)

    await asyncio.gather(*(loop(index) for index in range(concurrency)))
    return latencies


def received(consultations: list[dict[str, Any]]) -> int:
    """How many ``infoUpdate`` the doctors' sockets received and nobody took yet (taken now)."""
    return sum(len(c["sockets"]["medecin"].take_all("infoUpdate")) for c in consultations)


def counters(
    server: psutil.Process, database: psutil.Process | None, statements: Statements
) -> tuple[float, float, Counts | None]:
    """The server process's CPU seconds (not its SFU workers'), PostgreSQL's, statements."""
    return cpu_seconds(server, children=False), cpu_seconds(database), statements.count()


async def measure(arguments: argparse.Namespace, server: RunningServer, database_url: str) -> None:
    process = psutil.Process(server.process.pid)
    database = None if os.environ.get("DATABASE_URL") else psutil.Process(postmaster(database_url))
    statements = Statements(database_url)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=TIMEOUT) as client:
        consultations = [
            await open_consultation(client, server) for _ in range(arguments.consultations)
        ]
        await updates(client, consultations, arguments.warm_up, arguments.concurrency)
        await asyncio.sleep(0.5)
        received(consultations)
        rounds = []
        for _ in range(arguments.rounds):
            before = counters(process, database, statements)
            start = time.perf_counter()
            latencies = await updates(
                client, consultations, arguments.updates, arguments.concurrency
            )
            seconds = time.perf_counter() - start
            await asyncio.sleep(0.3)  # events still on their way
            after = counters(process, database, statements)
            n = len(latencies)
            rounds.append(
                {
                    "seconds": seconds,
                    "server": (after[0] - before[0]) / n,
                    "database": (after[1] - before[1]) / n,
                    "counts": None
                    if after[2] is None or before[2] is None
                    else after[2] - before[2],
                    "p50": percentile(latencies, 0.5),
                    "p99": percentile(latencies, 0.99),
                    "events": received(consultations),
                    "n": n,
                }
            )
        for consultation in consultations:
            for socket in consultation["sockets"].values():
                await socket.close()
    statements.close()
    report(arguments, rounds)


def report(arguments: argparse.Namespace, rounds: list[dict[str, Any]]) -> None:
    print(
        f"# POST /session/infos alone: {arguments.rounds} rounds of {arguments.updates} updates,"
        f" {arguments.concurrency} concurrent, over {arguments.consultations} consultations"
        f" (3 sockets each)\n{machine()}"
    )
    for index, figures in enumerate(rounds, 1):
        counts, n = figures["counts"], figures["n"]
        statements = (
            "-"
            if counts is None
            else f"{counts.statements / n:.1f} ({counts.begins / n:.1f} BEGIN)"
        )
        print(
            f"  round {index}: {figures['n'] / figures['seconds']:6.1f} updates/s;"
            f" CPU per update: server {ms(figures['server'])}, PostgreSQL"
            f" {ms(figures['database'])}; statements per update"
            f" {statements}; latency p50"
            f" {ms(figures['p50'])} p99 {ms(figures['p99'])};"
            f" infoUpdate received by the doctors {figures['events']}/{figures['n']}"
        )
    server = statistics.median(r["server"] for r in rounds)
    database = statistics.median(r["database"] for r in rounds)
    print(
        f"median round: server CPU per update {ms(server)} (target <= 2 ms),"
        f" PostgreSQL CPU per update {ms(database)}"
    )


def main(arguments: argparse.Namespace) -> None:
    with bench_server() as (server, database_url):
        asyncio.run(measure(arguments, server, database_url))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--consultations", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent updates")
    parser.add_argument("--updates", type=int, default=1000, help="updates per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warm-up", type=int, default=200, help="updates before the rounds")
    main(parser.parse_args())
