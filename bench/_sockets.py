"""Many authenticated sockets open on one server, and event delivery to one of them.

The scenario of bench/event_delivery.py and bench/idle_sockets.py, against a real
``hocovisio run`` (tests/server.py) and an embedded PostgreSQL:

1. Set-up: consultations as a clinic opens them (the operator creates each, its three
   participants open their links), enough for the idle sockets at ``sockets_per_session``
   sockets per session (each consultation's three sessions hold that many; the server's cap,
   ``HOCOVISIO_MAX_SOCKETS_PER_SESSION``, is set to match).
2. The measured consultation: its three participants connect one socket each from this
   process, and the patient's form is updated a few times (a warm-up).
3. The idle sockets, opened by ``holders`` processes (bench/_socket_holder.py) over a few
   loops each: the server's resident memory is read before, as they open, and after, for its
   growth per socket; its CPU during the opening gives the CPU per socket opened.
4. Delivery: the patient sends ``rate`` form updates per second for ``seconds`` seconds, each
   its own request on a schedule (an open loop: a slow answer does not delay the next). Each
   update's ``infoUpdate`` is timed at the doctor's and the guest's sockets, from the moment
   the request was sent: the server's commit is not visible from outside without
   instrumenting it, so the figure includes the request's way in and its database work.

The open-files limit is raised to its hard limit here, for the server (which inherits it) and
for the holders. Every client is 127.0.0.1, so the per-address rate limits are off.
"""

import argparse
import asyncio
import json
import math
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from tests.server import RunningServer, hocovisio, postgres

from ._api_client import TIMEOUT, Socket
from ._common import cpu_seconds, machine, ms, percentile, raise_open_files
from ._operations import answer, bearer
from .form_update import open_consultation

KiB, MiB = 1024, 2**20
ROLES = ("medecin", "patient", "guest")
MEASURED = 3  # the measured consultation's sockets, counted in the total
SET_UP_LOOPS = 8
WARM_UP_UPDATES = 20


@dataclass
class Scenario:
    total: int  # sockets open during the delivery, the measured consultation's included
    sockets_per_session: int
    holders: int
    rate: float  # updates per second
    seconds: float
    connect_loops: int = 8  # per holder

    @classmethod
    def from_command_line(
        cls,
        description: str,
        *,
        sockets: int,
        sockets_per_session: int,
        holders: int,
        seconds: float,
    ) -> "Scenario":
        """The scenario a benchmark's command line asks for, with that benchmark's defaults."""
        parser = argparse.ArgumentParser(description=description)
        parser.add_argument("--sockets", type=int, default=sockets, help="sockets open in all")
        parser.add_argument("--sockets-per-session", type=int, default=sockets_per_session)
        parser.add_argument(
            "--holders", type=int, default=holders, help="processes holding the sockets"
        )
        parser.add_argument("--rate", type=float, default=10.0, help="updates per second")
        parser.add_argument("--seconds", type=float, default=seconds, help="of updates")
        arguments = parser.parse_args()
        return cls(
            total=arguments.sockets,
            sockets_per_session=arguments.sockets_per_session,
            holders=arguments.holders,
            rate=arguments.rate,
            seconds=arguments.seconds,
        )


@dataclass
class Figures:
    consultations: int = 0
    set_up_seconds: float = 0.0
    opened: int = 0
    failed: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    open_seconds: float = 0.0
    open_cpu: float = 0.0
    rss_before: int = 0
    rss_after: int = 0
    rss_steps: list[tuple[int, int]] = field(default_factory=list)  # (sockets open, RSS)
    deliveries: list[float] = field(default_factory=list)
    expected: int = 0
    requests: list[float] = field(default_factory=list)
    delivery_seconds: float = 0.0
    delivery_cpu: float = 0.0


async def clinic_credentials(server: RunningServer, consultations: int) -> list[dict[str, str]]:
    """``consultations`` consultations created and their links opened: their credentials."""
    created: list[dict[str, str]] = []
    remaining = iter(range(consultations))

    async def loop() -> None:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=TIMEOUT) as client:
            for _ in remaining:
                made = await answer(
                    client, "POST", "/onetoone", headers=bearer(server.operator_key)
                )
                credentials = {}
                for session in made["sessions"]:
                    client.cookies.clear()
                    url = f"/session/{made['onetoone']['token']}/{session['token']}"
                    opened = await answer(client, "GET", url)
                    credentials[session["role"]] = opened["session"]["credential"]
                created.append(credentials)

    await asyncio.gather(*(loop() for _ in range(SET_UP_LOOPS)))
    return created


class Holders:
    """The processes holding the idle sockets."""

    def __init__(self) -> None:
        self.processes: list[asyncio.subprocess.Process] = []

    async def open(
        self,
        server: RunningServer,
        credentials: list[str],
        scenario: Scenario,
        progress: Callable[[int], None],
    ) -> dict[str, Any]:
        """Open a socket per credential, over the holders; call ``progress`` with the number
        open so far as they report it; return the totals once all are ready."""
        share = math.ceil(len(credentials) / scenario.holders)
        chunks = [credentials[i : i + share] for i in range(0, len(credentials), share)]
        for chunk in chunks:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench._socket_holder",
                f"--ws-url={server.ws_url}",
                f"--concurrency={scenario.connect_loops}",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=2**20,
            )
            assert process.stdin is not None
            process.stdin.write((json.dumps(chunk) + "\n").encode())
            await process.stdin.drain()
            self.processes.append(process)
        opened = [0] * len(self.processes)
        totals: dict[str, Any] = {"ready": 0, "failed": 0, "errors": {}}

        async def follow(index: int, process: asyncio.subprocess.Process) -> None:
            assert process.stdout is not None
            while line := await process.stdout.readline():
                report = json.loads(line)
                opened[index] = report.get("opened", report.get("ready", 0))
                progress(sum(opened))
                if "ready" in report:
                    totals["ready"] += report["ready"]
                    totals["failed"] += report["failed"]
                    for error, count in report["errors"].items():
                        totals["errors"][error] = totals["errors"].get(error, 0) + count
                    return
            raise RuntimeError(f"a socket holder exited early ({await process.wait()})")

        await asyncio.gather(*(follow(i, p) for i, p in enumerate(self.processes)))
        return totals

    async def close(self) -> None:
        for process in self.processes:
            if process.stdin is not None and process.returncode is None:
                process.stdin.write(b"close\n")
                await process.stdin.drain()
                process.stdin.close()
        for process in self.processes:
            await process.wait()


async def paced_updates(
    client: httpx.AsyncClient, credential: str, rate: float, seconds: float
) -> tuple[dict[int, float], list[float]]:
    """Form updates on a schedule, each ``{"seq": n}``: when each was sent, and the requests'
    latencies."""
    sent: dict[int, float] = {}
    latencies: list[float] = []

    async def update(sequence: int) -> None:
        sent[sequence] = start = time.perf_counter()
        body = {"data": {"seq": sequence}}
        await answer(client, "POST", "/session/infos", json=body, headers=bearer(credential))
        latencies.append(time.perf_counter() - start)

    tasks = []
    begin = time.perf_counter()
    for sequence in range(round(rate * seconds)):
        await asyncio.sleep(max(0.0, begin + sequence / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(update(sequence)))
    await asyncio.gather(*tasks)
    return sent, latencies


def delivery_latencies(sockets: list[Socket], sent: dict[int, float]) -> list[float]:
    """For every ``infoUpdate`` the sockets received, its delay since the update was sent."""
    return [
        arrived - sent[data["data"]["seq"]]
        for socket in sockets
        for arrived, data in socket.take_all("infoUpdate")
        if data["data"].get("seq") in sent
    ]


async def measure(scenario: Scenario, server: RunningServer) -> Figures:
    figures = Figures()
    process = psutil.Process(server.process.pid)
    idle = scenario.total - MEASURED
    sessions = math.ceil(idle / scenario.sockets_per_session)
    figures.consultations = math.ceil(sessions / len(ROLES))
    start = time.perf_counter()
    created = await clinic_credentials(server, figures.consultations)
    figures.set_up_seconds = time.perf_counter() - start
    credentials = [
        consultation[role]
        for consultation in created
        for role in ROLES
        for _ in range(scenario.sockets_per_session)
    ][:idle]

    async with httpx.AsyncClient(base_url=server.base_url, timeout=TIMEOUT) as client:
        measured = await open_consultation(client, server)
        sockets: dict[str, Socket] = measured["sockets"]
        patient = measured["credentials"]["patient"]
        await paced_updates(client, patient, 50, WARM_UP_UPDATES / 50)
        await asyncio.sleep(0.5)
        delivery_latencies(list(sockets.values()), {})  # the warm-up's events, dropped

        holders = Holders()
        try:
            await asyncio.sleep(1.0)
            figures.rss_before = process.memory_info().rss
            figures.rss_steps.append((0, figures.rss_before))
            cpu, start = cpu_seconds(process, children=False), time.perf_counter()

            def progress(count: int) -> None:
                figures.rss_steps.append((count, process.memory_info().rss))

            totals = await holders.open(server, credentials, scenario, progress)
            figures.open_seconds = time.perf_counter() - start
            await asyncio.sleep(2.0)  # the server's last openings done
            figures.open_cpu = cpu_seconds(process, children=False) - cpu
            figures.opened, figures.failed = totals["ready"], totals["failed"]
            figures.errors = totals["errors"]
            figures.rss_after = process.memory_info().rss
            figures.rss_steps.append((figures.opened, figures.rss_after))

            cpu, start = cpu_seconds(process, children=False), time.perf_counter()
            sent, figures.requests = await paced_updates(
                client, patient, scenario.rate, scenario.seconds
            )
            await asyncio.sleep(1.0)  # the last events on their way
            figures.delivery_seconds = time.perf_counter() - start
            figures.delivery_cpu = cpu_seconds(process, children=False) - cpu
            receivers = [sockets["medecin"], sockets["guest"]]
            figures.deliveries = delivery_latencies(receivers, sent)
            figures.expected = len(sent) * len(receivers)
        finally:
            await holders.close()
            for socket in sockets.values():
                await socket.close()
    return figures


def report(title: str, scenario: Scenario, figures: Figures) -> None:
    open_total = figures.opened + MEASURED
    print(f"# {title}\n{machine()}")
    print(
        f"set-up: {figures.consultations} consultations created and their links opened in"
        f" {figures.set_up_seconds:.1f} s; {scenario.sockets_per_session} socket(s) per session,"
        f" {scenario.holders} holder process(es)"
    )
    per_socket = (figures.rss_after - figures.rss_before) / max(figures.opened, 1)
    print(
        f"idle sockets: {figures.opened} opened ({figures.failed} failed) in"
        f" {figures.open_seconds:.1f} s ({figures.opened / figures.open_seconds:.0f}/s),"
        f" server CPU per socket opened {ms(figures.open_cpu / max(figures.opened, 1))}"
    )
    for error, count in figures.errors.items():
        print(f"  error x{count}: {error}")
    steps = figures.rss_steps
    shown = [steps[0], *steps[1:-1][:: max(1, (len(steps) - 2) // 5)], steps[-1]]
    print(
        "server RSS (the server process; its SFU workers apart): "
        + ", ".join(f"{count} sockets {rss / MiB:.1f} MiB" for count, rss in shown)
    )
    print(
        f"server RSS growth per idle socket: {per_socket / KiB:.1f} KiB"
        f" ({figures.rss_before / MiB:.1f} -> {figures.rss_after / MiB:.1f} MiB)"
    )
    deliveries, requests = figures.deliveries, figures.requests
    updates = len(requests)
    print(
        f"delivery with {open_total} sockets open: {updates} updates at {scenario.rate:g}/s"
        f" over {scenario.seconds:g} s; infoUpdate at the doctor's and the guest's sockets"
        f" (from the request sent): n={len(deliveries)} of {figures.expected},"
        f" p50 {ms(percentile(deliveries, 0.5))}, p99 {ms(percentile(deliveries, 0.99))},"
        f" max {ms(max(deliveries, default=0.0))}"
    )
    print(
        f"  POST /session/infos: p50 {ms(percentile(requests, 0.5))}, p99"
        f" {ms(percentile(requests, 0.99))}; server CPU"
        f" {figures.delivery_cpu / figures.delivery_seconds:.0%} of a core,"
        f" {ms(figures.delivery_cpu / max(updates, 1))} per update"
    )


def run(title: str, scenario: Scenario) -> Figures:
    """The scenario against a server of its own; its report printed; its figures."""
    raise_open_files()
    env = {
        "HOCOVISIO_RATE_LIMIT_ENABLED": "false",
        "HOCOVISIO_MAX_SOCKETS_PER_SESSION": str(max(2, scenario.sockets_per_session)),
    }
    with (
        postgres() as database_url,
        tempfile.TemporaryDirectory(prefix="hocovisio-bench-") as folder,
        hocovisio(database_url, Path(folder), extra_env=env) as server,
    ):
        figures = asyncio.run(measure(scenario, server))
    report(title, scenario, figures)
    return figures
