"""Two instances on one PostgreSQL: event delivery across them, and the clinic mix through one
instance and through two.

Starts an embedded PostgreSQL and two ``hocovisio run`` instances on it (tests/server.py
``instances``), and Debian's nginx in front (tests/load_balancer.py), round robin.

1. Delivery: a consultation whose doctor's socket is on instance A and guest's on instance B;
   the patient sends ``--rate`` form updates a second to A for ``--seconds``, each its own
   request on a schedule. Each ``infoUpdate`` is timed from the moment its request was sent,
   at the doctor's socket (delivery within one instance) and at the guest's (across
   instances): p50 and p99 of each, and whether every event came once.
2. The clinic mix of bench/api_load.py (bench/_api_client.py: whole simulated consultations)
   through nginx with A alone as its upstream, then with A and B: requests per second and
   server CPU per request (both instances' processes and their SFU workers) and PostgreSQL
   CPU per request. With a round-robin balancer a consultation's requests and sockets land
   on both instances, so that its events cross between them. Beside it, the same for
   ``GET /healthz`` (no database, no event): what a second process costs on this machine by
   itself, which the mix's ratio is read against.

Rate limits are off (every simulated client is 127.0.0.1).

    MEDIASOUP_WORKER_BIN=... .venv/bin/python -m bench.cluster [--rate 20 --seconds 20]

About 2 minutes with the defaults (2 vCPUs).
"""

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from protoo.websocket import connect
from tests.load_balancer import LoadBalancer, nginx
from tests.server import RunningServer, instances, postgres

from ._api_client import TIMEOUT, Socket
from ._common import machine, ms, percentile, raise_open_files
from ._database import postmaster
from ._operations import answer, bearer
from .api_load import generator, run

ENV = {"HOCOVISIO_RATE_LIMIT_ENABLED": "false", "HOCOVISIO_MONITOR_INTERVAL": "0"}


async def delivery(a: RunningServer, b: RunningServer, rate: float, seconds: float) -> None:
    async with httpx.AsyncClient(base_url=a.base_url, timeout=TIMEOUT) as client:
        created = await answer(client, "POST", "/onetoone", headers=bearer(a.operator_key))
        credentials = {}
        for session in created["sessions"]:
            client.cookies.clear()
            url = f"/session/{created['onetoone']['token']}/{session['token']}"
            credentials[session["role"]] = (await answer(client, "GET", url))["session"][
                "credential"
            ]
        here = Socket(await connect(a.ws_url, credentials["medecin"], timeout=TIMEOUT))
        there = Socket(await connect(b.ws_url, credentials["guest"], timeout=TIMEOUT))
        headers = bearer(credentials["patient"])
        sent: dict[int, float] = {}

        async def update(n: int) -> None:
            sent[n] = time.perf_counter()
            body = {"data": {"n": n}}
            await answer(client, "POST", "/session/infos", json=body, headers=headers)

        count = int(rate * seconds)
        start = time.perf_counter()
        tasks = []
        for n in range(count):
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(update(n)))
        await asyncio.gather(*tasks)
        await asyncio.sleep(1.0)
        print(f"## infoUpdate delivery, {rate:g} updates/s for {seconds:g} s")
        for name, socket in (("within instance A", here), ("across, A to B", there)):
            arrived = socket.take_all("infoUpdate")
            numbers = [data["data"]["n"] for _, data in arrived]
            latencies = [at - sent[data["data"]["n"]] for at, data in arrived]
            whole = "every event once, in order" if numbers == list(range(count)) else "MISSED"
            print(
                f"  {name:18} n={len(latencies):5}  p50 {ms(percentile(latencies, 0.5)):>9}"
                f"  p99 {ms(percentile(latencies, 0.99)):>9}  {whole}"
            )
        for socket in (here, there):
            await socket.peer.close()


def clinic_mix(
    balancer: LoadBalancer, servers: list[RunningServer], database_pid: int, args: Any
) -> dict[str, Any]:
    front = RunningServer(
        base_url=balancer.base_url,
        ws_url=balancer.base_url.replace("http", "ws") + "/ws",
        operator_key=balancer.operator_key,
        data_dir=servers[0].data_dir,
        database_url=servers[0].database_url,
        process=servers[0].process,
        log_path=servers[0].log_path,
    )
    command = generator("bench._api_client", front, database_pid)
    command += [f"--server-pid={s.process.pid}" for s in servers[1:]]
    command += [
        f"--concurrency={args.concurrency}",
        f"--slices={args.slices}",
        "--ceiling-path=/healthz",
        f"--ceiling={args.ceiling}",
        f"--clinic={args.clinic}",
    ]
    return run(command)


def report_mix(label: str, clinic: dict[str, Any]) -> float:
    """Print a phase's figures; return its server CPU per request (ms)."""
    requests = sum(len(v) for k, v in clinic["latencies"].items() if "delivery" not in k)
    rate = requests / clinic["seconds"]
    server = clinic["cpu"]["server"] / requests * 1000
    database = clinic["cpu"]["database"] / requests * 1000
    errors = sum(clinic["errors"].values())
    print(
        f"  {label:28} {rate:7.1f} req/s   server CPU {server:5.2f} ms/req"
        f"   PostgreSQL CPU {database:5.2f} ms/req   errors {errors}"
    )
    if errors:
        print(f"    errors: {dict(clinic['errors'])}")
    for operation in ("infoUpdate delivery", "newMessage delivery"):
        values = clinic["latencies"].get(operation, [])
        if values:
            print(
                f"    {operation:26} p50 {ms(percentile(values, 0.5)):>9}"
                f"  p99 {ms(percentile(values, 0.99)):>9}"
            )
    return server


async def main(args: argparse.Namespace) -> None:
    raise_open_files()
    print(f"# Two instances on one PostgreSQL\n{machine()}")
    with postgres() as url, tempfile.TemporaryDirectory(prefix="hocovisio-cluster-") as folder:
        database_pid = postmaster(url)
        with instances(url, Path(folder), 2, ENV) as (a, b):
            await delivery(a, b, args.rate, args.seconds)
            print(f"## the clinic mix, {args.concurrency} concurrent clinics, through nginx")
            with nginx(Path(folder) / "one", [a]) as one:
                alone = clinic_mix(one, [a], database_pid, args)
            with nginx(Path(folder) / "two", [a, b]) as two:
                both = clinic_mix(two, [a, b], database_pid, args)
            ratios = {}
            for phase, what in (("clinic", "the clinic mix"), ("ceiling", "GET /healthz")):
                print(f"### {what}")
                one_cost = report_mix("one instance", alone[phase])
                two_cost = report_mix("two instances", both[phase])
                ratios[phase] = two_cost / one_cost
            clinic, ceiling = ratios["clinic"], ratios["ceiling"]
            print(
                "server CPU per request, two instances / one:"
                f" clinic mix {clinic:.2f}, GET /healthz {ceiling:.2f};"
                f" the mix's ratio to the trivial route's {clinic / ceiling:.2f}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=20.0, help="form updates per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="of form updates")
    parser.add_argument("--concurrency", type=int, default=20, help="concurrent clinics")
    parser.add_argument("--slices", type=int, default=2, help="clinic slices of each mix")
    parser.add_argument("--clinic", type=float, default=15.0, help="seconds per clinic slice")
    parser.add_argument("--ceiling", type=float, default=5.0, help="seconds of GET /healthz")
    asyncio.run(main(parser.parse_args()))
