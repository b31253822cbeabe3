"""The load generator of bench/api_load.py and bench/soak.py, run as its own process (httpx +
websockets).

Alternates two phases against a running server, the same number of concurrent loops in each
(a phase given 0 seconds is skipped: the soak runs clinics only), each slice of a phase after
a warm-up of its own loops (``Run.slice``):

* ``ceiling``: every loop hammers the most trivial route (``GET /healthz``), the framework's
  own ceiling on this machine;
* ``clinic``: every loop runs whole simulated consultations: create, open the three links,
  connect the three sockets, the patient's form updates (timed until the doctor's socket
  gets ``infoUpdate``), a chat message over the socket (timed until the patient gets
  ``newMessage``), a second patient device waiting and the doctor validating it, the history,
  close the sockets and end the consultation. A consultation whose step failed is still
  ended, so that failures do not pile up live consultations on the server.

Every failure is counted, by message and by kind (``classify``): ``http <status>`` (an
answer other than 200, or a socket's upgrade refused), ``protoo error`` (a socket request
answered ``ok: false``), ``lost event`` (an expected notification that did not come within
the timeout), ``ws closed`` (the server closed a socket before the client did, which it
never does during a consultation: with a lost event, the likely cause), ``timeout``,
``connection`` and ``other``. The warm-up's failures are reported too, as a phase of its own.

Prints one JSON object with, per phase, the counts, the latencies, the errors, the CPU seconds
spent by the server (with its SFU workers), by the database (with ``--database-pid``) and by
this generator, and the server's resident memory at the phase's start and end. With
``--interval``, a JSON line ``{"interval": ...}`` of the same shape comes first for each
interval of the clinic phase, as it ends, so that a long run's drift shows while it runs.
"""

import argparse
import asyncio
import contextlib
import copy
import json
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
import psutil
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

import protoo
from protoo.websocket import connect

from ._common import cpu_seconds

TIMEOUT = 10.0
ROLES = ("medecin", "patient", "guest")
FORM_UPDATES = 3
WARM_UP = 2.0
# hypercorn closes a connection idle for 5 s, and 5 s is also httpx's default expiry, so a
# connection idle that long could be reused just as the server closed it ("Server
# disconnected without sending a response"): a client must give it up before the server.
KEEPALIVE_EXPIRY = 4.0


class Failure(Exception):
    """A request answered with an error, or an event that did not arrive."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def status_kind(status: int) -> str:
    return f"http {status}"


def classify(error: Exception) -> str:
    """The kind of a failure (the module's docstring lists them)."""
    if isinstance(error, Failure):
        return error.kind
    if isinstance(error, InvalidStatus):  # the socket's upgrade was answered with an error
        return status_kind(error.response.status_code)
    if isinstance(error, ConnectionClosed):
        return "ws closed"
    # before OSError and httpx.TransportError, of which these are subclasses
    if isinstance(error, TimeoutError | httpx.TimeoutException):
        return "timeout"
    if isinstance(error, OSError | httpx.TransportError | InvalidHandshake):
        return "connection"
    return "other"


@dataclass
class Recorder:
    """Latencies per operation and errors, for one phase."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    kinds: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    consultations: int = 0

    def add(self, operation: str, seconds: float) -> None:
        self.latencies[operation].append(seconds)

    def error(self, error: Exception) -> None:
        kind = classify(error)
        message = str(error) if isinstance(error, Failure) else f"{type(error).__name__}: {error}"
        self.errors[f"[{kind}] {' '.join(message.split())[:160]}"] += 1
        self.kinds[kind] += 1

    def since(self, earlier: "Recorder") -> "Recorder":
        """What was recorded after ``earlier``, a copy of this recorder."""
        return Recorder(
            latencies={
                operation: values[len(earlier.latencies.get(operation, ())) :]
                for operation, values in self.latencies.items()
            },
            errors={
                error: count - earlier.errors.get(error, 0)
                for error, count in self.errors.items()
                if count > earlier.errors.get(error, 0)
            },
            kinds={
                kind: count - earlier.kinds.get(kind, 0)
                for kind, count in self.kinds.items()
                if count > earlier.kinds.get(kind, 0)
            },
            consultations=self.consultations - earlier.consultations,
        )

    def summary(self, seconds: float) -> dict[str, Any]:
        return {
            "seconds": seconds,
            "consultations": self.consultations,
            "latencies": dict(self.latencies),
            "errors": dict(self.errors),
            "error_kinds": dict(self.kinds),
        }


class Socket:
    """A protoo socket that timestamps the notifications it receives."""

    def __init__(self, connection: ClientConnection) -> None:
        self._events: dict[str, asyncio.Queue[tuple[float, Any]]] = defaultdict(asyncio.Queue)
        self.connection = connection
        self.peer = protoo.Connection(connection, timeout=TIMEOUT, on_notification=self._arrived)

    def _arrived(self, notification: protoo.Notification) -> None:
        self._events[notification.method].put_nowait((time.perf_counter(), notification.data))

    async def request(self, method: str, data: dict[str, Any]) -> Any:
        try:
            return await self.peer.request(method, data)
        except protoo.Refused as refused:
            raise Failure("protoo error", f"{method}: {refused}") from None

    async def event(self, method: str) -> tuple[float, Any]:
        """When the first ``method`` notification not yet taken arrived, and its data."""
        try:
            return await asyncio.wait_for(self._events[method].get(), TIMEOUT)
        except TimeoutError:
            closed = f" ({self.closed_by_server()})" if self.peer.is_closed else ""
            raise Failure("lost event", f"no {method} event in {TIMEOUT}s{closed}") from None

    def take_all(self, method: str) -> list[tuple[float, Any]]:
        """Take every ``method`` notification arrived and not yet taken: when each arrived,
        and its data."""
        queue = self._events[method]
        return [queue.get_nowait() for _ in range(queue.qsize())]

    def closed_by_server(self) -> str:
        code, reason = self.connection.close_code, self.connection.close_reason
        return f"the server closed the socket: code {code} {reason}".rstrip()

    async def close(self) -> BaseException | None:
        """Close the socket; a failure if the server had closed it first, which it never does
        during a consultation (whatever the code), or if the reading failed otherwise (a frame
        that was not protoo)."""
        closed_first = self.peer.is_closed
        error = await self.peer.close()
        if closed_first and (error is None or isinstance(error, ConnectionClosed)):
            return Failure("ws closed", self.closed_by_server())
        return error


class Clinic:
    """One loop of simulated consultations."""

    def __init__(self, base_url: str, ws_url: str, operator_key: str, record: Recorder) -> None:
        self.base_url = base_url
        self.ws_url = ws_url
        self.operator = {"Authorization": f"Bearer {operator_key}"}
        self.record = record
        self.until = math.inf  # no new consultation (or request) from then on
        self.warmed = asyncio.Event()  # set once the first one has ended

    def client(self, **options: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url,
            timeout=TIMEOUT,
            limits=httpx.Limits(keepalive_expiry=KEEPALIVE_EXPIRY),
            **options,
        )

    async def timed(self, operation: str, call: Any) -> Any:
        start = time.perf_counter()
        try:
            result = await call
        except Failure:
            raise
        except Exception as error:  # named after the operation, which the error does not say
            message = f"{operation}: {type(error).__name__}: {error}"
            raise Failure(classify(error), message) from error
        self.record.add(operation, time.perf_counter() - start)
        return result

    async def http(
        self, client: httpx.AsyncClient, operation: str, method: str, url: str, **kwargs: Any
    ) -> dict[str, Any]:
        response = await self.timed(operation, client.request(method, url, **kwargs))
        if response.status_code != 200:
            raise Failure(
                status_kind(response.status_code),
                f"{operation}: {response.status_code} {response.text[:100]}",
            )
        return response.json()

    async def socket(self, credential: str) -> Socket:
        connection = await self.timed(
            "ws connect", connect(self.ws_url, credential, timeout=TIMEOUT)
        )
        return Socket(connection)

    async def consultation(
        self, operator: httpx.AsyncClient, clients: dict[str, httpx.AsyncClient]
    ) -> None:
        """One consultation; ``clients`` are the participants' browsers, cookies cleared."""
        for client in clients.values():
            client.cookies.clear()
        created = await self.http(operator, "POST /onetoone", "POST", "/onetoone")
        token = created["onetoone"]["token"]
        completed = False
        try:
            await self.participants(created, clients)
            completed = True
        except Exception as error:  # counted, and the consultation is ended all the same
            self.record.error(error)
        await self.http(
            operator, "DELETE /onetoone", "DELETE", f"/onetoone/{token}", headers=self.operator
        )
        self.record.consultations += completed

    async def participants(
        self, created: dict[str, Any], clients: dict[str, httpx.AsyncClient]
    ) -> None:
        """The consultation ``created`` from the links' opening to the sockets' closing."""
        token = created["onetoone"]["token"]
        links = {s["role"]: f"/session/{token}/{s['token']}" for s in created["sessions"]}
        sockets: list[Socket] = []
        try:
            credentials = {}
            for role in ROLES:
                opened = await self.http(clients[role], "GET link", "GET", links[role])
                credentials[role] = opened["session"]["credential"]
            for role in ROLES:
                sockets.append(await self.socket(credentials[role]))
            doctor, patient, _guest = sockets
            for index in range(FORM_UPDATES):
                sent = time.perf_counter()
                body = {"data": {f"field{index}": index, "weight": 70 + index}}
                await self.http(
                    clients["patient"], "POST /session/infos", "POST", "/session/infos", json=body
                )
                arrived, _ = await doctor.event("infoUpdate")
                self.record.add("infoUpdate delivery", arrived - sent)
            sent = time.perf_counter()
            await self.timed("ws sendMessage", doctor.request("sendMessage", {"text": "Bonjour"}))
            arrived, _ = await patient.event("newMessage")
            self.record.add("newMessage delivery", arrived - sent)
            pending = await self.http(clients["second device"], "GET link", "GET", links["patient"])
            await self.http(
                clients["medecin"],
                "POST /validate",
                "POST",
                "/validate",
                # Beside the first device, as before admitting replaced it by default: the
                # first goes on with the mix (and the figures stay comparable).
                json={"sessionId": pending["session"]["id"], "replace": False},
            )
            await self.http(clients["patient"], "GET /messages", "GET", "/messages")
        finally:
            for socket in sockets:
                if isinstance(ended := await socket.close(), Exception):
                    self.record.error(ended)

    async def run_clinic(self) -> None:
        # Clients live as long as the loop (an AsyncClient costs milliseconds to create).
        clients = {name: self.client() for name in (*ROLES, "second device")}
        async with self.client(headers=self.operator) as operator:
            while time.perf_counter() < self.until:
                try:
                    await self.consultation(operator, clients)
                except Exception as error:  # every failure is counted, the loop goes on
                    self.record.error(error)
                self.warmed.set()
        for client in clients.values():
            await client.aclose()

    async def run_ceiling(self, path: str) -> None:
        async with self.client() as client:
            while time.perf_counter() < self.until:
                try:
                    await self.http(client, f"GET {path}", "GET", path)
                except Exception as error:
                    self.record.error(error)
                self.warmed.set()


def memory(servers: list[psutil.Process]) -> dict[str, int]:
    """Resident bytes of the server processes (one per instance) and of their children (the
    SFU workers); 0 for those that have exited."""
    rss = {"server": 0, "workers": 0}
    for server in servers:
        with contextlib.suppress(psutil.NoSuchProcess):
            for child in server.children(recursive=True):
                with contextlib.suppress(psutil.NoSuchProcess):
                    rss["workers"] += child.memory_info().rss
            rss["server"] += server.memory_info().rss
    return rss


class Window:
    """What a recorder gains from now until ``close``, with the CPU spent meanwhile."""

    def __init__(
        self, record: Recorder, server: list[psutil.Process], database: psutil.Process | None
    ) -> None:
        self.record, self.server, self.database = record, server, database
        self.earlier = copy.deepcopy(record)
        self.memory = memory(server)
        self.cpu = self.cpu_now()
        self.start = time.perf_counter()

    def cpu_now(self) -> dict[str, float]:
        return {
            "server": sum(cpu_seconds(server) for server in self.server),
            "database": cpu_seconds(self.database),
            "generator": time.process_time(),
        }

    def close(self) -> dict[str, Any]:
        seconds = time.perf_counter() - self.start
        cpu = self.cpu_now()
        return {
            **self.record.since(self.earlier).summary(seconds),
            "cpu": {name: cpu[name] - self.cpu[name] for name in cpu},
            "memory": {"start": self.memory, "end": memory(self.server)},
        }


class Intervals:
    """While a phase runs: a JSON line per ``seconds`` of what its recorder gains."""

    def __init__(
        self,
        record: Recorder,
        server: list[psutil.Process],
        database: psutil.Process | None,
        seconds: float,
    ) -> None:
        self.window = Window(record, server, database)
        self.task = asyncio.create_task(self._tick(seconds))

    async def _tick(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(self.window.start + seconds - time.perf_counter())
            self._print()

    def _print(self) -> None:
        print(json.dumps({"interval": self.window.close()}), flush=True)
        self.window = Window(self.window.record, self.window.server, self.window.database)

    def stop(self) -> None:
        """Stop, with a last line for the time since the one before."""
        self.task.cancel()
        self._print()


class Run:
    """The phases of one run, with their totals over their slices."""

    def __init__(self, arguments: argparse.Namespace) -> None:
        self.arguments = arguments
        self.server = [psutil.Process(pid) for pid in arguments.server_pid]
        self.database = psutil.Process(arguments.database_pid) if arguments.database_pid else None
        self.phases = {phase: Recorder() for phase in ("warm-up", "ceiling", "clinic")}
        self.totals: dict[str, dict[str, Any]] = {}

    async def slice(self, phase: str, seconds: float, interval: float = 0.0) -> None:
        """``seconds`` of ``phase`` on every loop, after a warm-up recorded as the warm-up's:
        ``WARM_UP`` seconds and until every loop has ended its first consultation (or request).

        The loops start together, so their first requests come in one burst, which takes a
        while to clear at high concurrency (4 s for the first consultations of 40 clinics on
        2 vCPUs); they go on from the warm-up into the phase, which starts steady."""
        clinics = [
            Clinic(
                self.arguments.base_url,
                self.arguments.ws_url,
                self.arguments.operator_key,
                self.phases["warm-up"],
            )
            for _ in range(self.arguments.concurrency)
        ]
        warm_up = Window(self.phases["warm-up"], self.server, self.database)
        if phase == "ceiling":
            running = asyncio.gather(
                *(clinic.run_ceiling(self.arguments.ceiling_path) for clinic in clinics)
            )
        else:
            running = asyncio.gather(*(clinic.run_clinic() for clinic in clinics))
        await asyncio.sleep(WARM_UP)
        await asyncio.gather(*(clinic.warmed.wait() for clinic in clinics))
        self._add("warm-up", warm_up.close())
        window = Window(self.phases[phase], self.server, self.database)
        for clinic in clinics:
            clinic.record = self.phases[phase]
            clinic.until = window.start + seconds
        intervals = None
        if interval > 0:
            intervals = Intervals(self.phases[phase], self.server, self.database, interval)
        await running
        if intervals is not None:
            intervals.stop()
        self._add(phase, window.close())

    def _add(self, phase: str, window: dict[str, Any]) -> None:
        """Add a slice's window to the phase's totals (memory: the first start, the last end)."""
        total = self.totals.setdefault(
            phase, {"seconds": 0.0, "cpu": defaultdict(float), "memory": window["memory"]}
        )
        total["seconds"] += window["seconds"]
        for name, value in window["cpu"].items():
            total["cpu"][name] += value
        total["memory"]["end"] = window["memory"]["end"]

    def result(self) -> dict[str, Any]:
        return {
            phase: {**self.phases[phase].summary(total["seconds"]), **total}
            for phase, total in self.totals.items()
        }


async def main(arguments: argparse.Namespace) -> None:
    run = Run(arguments)
    for _ in range(arguments.slices):
        if arguments.ceiling > 0:
            await run.slice("ceiling", arguments.ceiling)
        if arguments.clinic > 0:
            await run.slice("clinic", arguments.clinic, arguments.interval)
    print(json.dumps(run.result()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="load generator of bench.api_load")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--ws-url", required=True)
    parser.add_argument("--operator-key", required=True)
    parser.add_argument(
        "--server-pid", type=int, action="append", required=True, help="one per instance"
    )
    parser.add_argument("--database-pid", type=int, help="PostgreSQL's postmaster, for its CPU")
    parser.add_argument("--ceiling-path", default="/healthz")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--slices", type=int, default=3)
    parser.add_argument("--ceiling", type=float, default=4.0, help="seconds per ceiling slice")
    parser.add_argument("--clinic", type=float, default=12.0, help="seconds per clinic slice")
    parser.add_argument(
        "--interval", type=float, default=0.0, help="seconds per interval line of the clinic phase"
    )
    asyncio.run(main(parser.parse_args()))
