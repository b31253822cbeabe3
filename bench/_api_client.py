"""The load generator of bench/api_load.py, run as its own process (httpx + websockets).

After a two-second warm-up, alternates two phases against a running server, the same number
of concurrent loops in each:

* ``ceiling``: every loop hammers the most trivial route (``GET /healthz``), the framework's
  own ceiling on this machine;
* ``clinic``: every loop runs whole simulated consultations: create, open the three links,
  connect the three sockets, the patient's form updates (timed until the doctor's socket
  gets ``infoUpdate``), a chat message over the socket (timed until the patient gets
  ``newMessage``), a second patient device waiting and the doctor validating it, the history,
  close the sockets and end the consultation.

Prints one JSON object with the counts, the latencies and, per phase, the CPU seconds spent by
the server (with its SFU workers) and by this generator.
"""

import argparse
import asyncio
import contextlib
import itertools
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
import psutil
from websockets.asyncio.client import ClientConnection, connect

TIMEOUT = 10.0
ROLES = ("medecin", "patient", "guest")
FORM_UPDATES = 3


class Failure(Exception):
    """A request answered with an error, or an event that did not arrive."""


@dataclass
class Recorder:
    """Latencies per operation and errors, for one phase."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    consultations: int = 0

    def add(self, operation: str, seconds: float) -> None:
        self.latencies[operation].append(seconds)


class Socket:
    """A protoo socket that timestamps the notifications it receives."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self._ids = itertools.count(1)
        self._responses: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._events: dict[str, asyncio.Queue[tuple[float, dict[str, Any]]]] = defaultdict(
            asyncio.Queue
        )
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for text in self.connection:
            arrived = time.perf_counter()
            frame = json.loads(text)
            if frame.get("response") and frame.get("id") in self._responses:
                self._responses.pop(frame["id"]).set_result(frame)
            elif frame.get("notification"):
                self._events[frame["method"]].put_nowait((arrived, frame["data"]))

    async def request(self, method: str, data: dict[str, Any]) -> dict[str, Any]:
        frame_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._responses[frame_id] = future
        frame = {"request": True, "id": frame_id, "method": method, "data": data}
        await self.connection.send(json.dumps(frame))
        answer = await asyncio.wait_for(future, TIMEOUT)
        if not answer.get("ok"):
            raise Failure(f"{method}: {answer.get('errorReason')}")
        return answer["data"]

    async def event(self, method: str) -> tuple[float, dict[str, Any]]:
        """When the first ``method`` notification not yet taken arrived, and its data."""
        try:
            return await asyncio.wait_for(self._events[method].get(), TIMEOUT)
        except TimeoutError:
            raise Failure(f"no {method} event in {TIMEOUT}s") from None

    async def close(self) -> None:
        await self.connection.close()
        await asyncio.gather(self._reader, return_exceptions=True)


class Clinic:
    """One loop of simulated consultations."""

    def __init__(self, base_url: str, ws_url: str, operator_key: str, record: Recorder) -> None:
        self.base_url = base_url
        self.ws_url = ws_url
        self.operator = {"Authorization": f"Bearer {operator_key}"}
        self.record = record

    async def timed(self, operation: str, call: Any) -> Any:
        start = time.perf_counter()
        result = await call
        self.record.add(operation, time.perf_counter() - start)
        return result

    async def http(
        self, client: httpx.AsyncClient, operation: str, method: str, url: str, **kwargs: Any
    ) -> dict[str, Any]:
        response = await self.timed(operation, client.request(method, url, **kwargs))
        if response.status_code != 200:
            raise Failure(f"{operation}: {response.status_code} {response.text[:200]}")
        return response.json()

    async def socket(self, credential: str) -> Socket:
        connection = await self.timed(
            "ws connect",
            connect(
                self.ws_url,
                additional_headers={"Authorization": f"Bearer {credential}"},
                subprotocols=["protoo"],  # type: ignore[list-item]
                open_timeout=TIMEOUT,
            ),
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
                json={"sessionId": pending["session"]["id"]},
            )
            await self.http(clients["patient"], "GET /messages", "GET", "/messages")
        finally:
            for socket in sockets:
                await socket.close()
        await self.http(
            operator, "DELETE /onetoone", "DELETE", f"/onetoone/{token}", headers=self.operator
        )
        self.record.consultations += 1

    async def run_clinic(self, until: float) -> None:
        # Clients live as long as the loop (an AsyncClient costs milliseconds to create).
        clients = {
            name: httpx.AsyncClient(base_url=self.base_url, timeout=TIMEOUT)
            for name in (*ROLES, "second device")
        }
        async with httpx.AsyncClient(
            base_url=self.base_url, timeout=TIMEOUT, headers=self.operator
        ) as operator:
            while time.perf_counter() < until:
                try:
                    await self.consultation(operator, clients)
                except Exception as error:  # every failure is counted, the loop goes on
                    self.record.errors[f"{type(error).__name__}: {str(error)[:120]}"] += 1
        for client in clients.values():
            await client.aclose()

    async def run_ceiling(self, until: float, path: str) -> None:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=TIMEOUT) as client:
            while time.perf_counter() < until:
                try:
                    await self.http(client, f"GET {path}", "GET", path)
                except Exception as error:
                    self.record.errors[f"{type(error).__name__}: {str(error)[:120]}"] += 1


def summary(record: Recorder, seconds: float) -> dict[str, Any]:
    return {
        "seconds": seconds,
        "consultations": record.consultations,
        "latencies": dict(record.latencies),
        "errors": dict(record.errors),
    }


def server_cpu(server: psutil.Process) -> float:
    """CPU seconds of the server and its children (the SFU workers) so far."""
    total = 0.0
    for process in (server, *server.children(recursive=True)):
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            total += times.user + times.system
    return total


async def main(arguments: argparse.Namespace) -> None:
    phases: dict[str, Recorder] = {"ceiling": Recorder(), "clinic": Recorder()}
    elapsed = {"ceiling": 0.0, "clinic": 0.0}
    server = psutil.Process(arguments.server_pid)
    cpu = {phase: {"server": 0.0, "generator": 0.0} for phase in phases}
    warm_up = [
        Clinic(arguments.base_url, arguments.ws_url, arguments.operator_key, Recorder())
        for _ in range(arguments.concurrency)
    ]
    await asyncio.gather(*(clinic.run_clinic(time.perf_counter() + 2.0) for clinic in warm_up))
    for _ in range(arguments.slices):
        for phase, seconds in (("ceiling", arguments.ceiling), ("clinic", arguments.clinic)):
            server_start, generator_start = server_cpu(server), time.process_time()
            start = time.perf_counter()
            clinics = [
                Clinic(arguments.base_url, arguments.ws_url, arguments.operator_key, phases[phase])
                for _ in range(arguments.concurrency)
            ]
            if phase == "ceiling":
                runs = [
                    clinic.run_ceiling(start + seconds, arguments.ceiling_path)
                    for clinic in clinics
                ]
            else:
                runs = [clinic.run_clinic(start + seconds) for clinic in clinics]
            await asyncio.gather(*runs)
            elapsed[phase] += time.perf_counter() - start
            cpu[phase]["server"] += server_cpu(server) - server_start
            cpu[phase]["generator"] += time.process_time() - generator_start
    result = {
        phase: {**summary(record, elapsed[phase]), "cpu": cpu[phase]}
        for phase, record in phases.items()
    }
    print(json.dumps(result))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="load generator of bench.api_load")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--ws-url", required=True)
    parser.add_argument("--operator-key", required=True)
    parser.add_argument("--server-pid", type=int, required=True)
    parser.add_argument("--ceiling-path", default="/healthz")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--slices", type=int, default=3)
    parser.add_argument("--ceiling", type=float, default=4.0, help="seconds per ceiling slice")
    parser.add_argument("--clinic", type=float, default=12.0, help="seconds per clinic slice")
    asyncio.run(main(parser.parse_args()))
