"""API and WebSocket under load: simulated consultations beside the framework's ceiling.

Starts a real ``hocovisio run`` (and an embedded PostgreSQL unless ``DATABASE_URL`` is set),
then runs the load generator (bench/_api_client.py) as a separate process on loopback. The
generator alternates slices of whole simulated consultations with slices hammering
``GET /healthz`` (the most trivial route: no database, no auth), so machine load falls on
both alike; the report gives requests per second, p50/p99 latency per operation, event
delivery latency and errors, the ratio to the ceiling, and server, PostgreSQL and generator
CPU per request. Then each operation of the mix runs alone over ``--operations``
consultations (bench/_operations.py), for its own server CPU, PostgreSQL CPU, SQL statements
and BEGINs (``pg_stat_statements`` in the embedded PostgreSQL; bench/_database.py says how
they relate to round trips) and p50/p99 at the same concurrency.

Every simulated clinic calls from 127.0.0.1, so the per-address rate limits are turned off
for the run (``HOCOVISIO_RATE_LIMIT_ENABLED=false``): they would measure the limiter.

    MEDIASOUP_WORKER_BIN=... .venv/bin/python -m bench.api_load [--operations 100]

The whole run takes about 2 minutes with the defaults (2 vCPUs).
"""

import argparse
import json
import os
import subprocess
import sys
from typing import Any

import httpx

from tests.server import RunningServer

from ._common import machine, ms, percentile, raise_open_files
from ._database import bench_server, postmaster

DELIVERIES = ("infoUpdate delivery", "newMessage delivery")


def report(result: dict[str, Any], ceiling_path: str, concurrency: int) -> None:
    clinic, ceiling = result["clinic"], result["ceiling"]
    requests = sum(len(v) for k, v in clinic["latencies"].items() if k not in DELIVERIES)
    ceiling_requests = sum(len(v) for v in ceiling["latencies"].values())
    clinic_rate = requests / clinic["seconds"]
    ceiling_rate = ceiling_requests / ceiling["seconds"]
    print(f"# API + WebSocket load, {concurrency} concurrent clients\n{machine()}")
    print(
        f"clinic: {clinic['consultations']} consultations in {clinic['seconds']:.1f} s"
        f" ({clinic['consultations'] / clinic['seconds']:.1f}/s), {requests} requests"
        f" ({clinic_rate:.0f} req/s), errors {sum(clinic['errors'].values())}"
    )
    for operation, values in sorted(clinic["latencies"].items()):
        print(
            f"  {operation:24} n={len(values):6}  p50 {ms(percentile(values, 0.5)):>10}"
            f"  p99 {ms(percentile(values, 0.99)):>10}"
        )
    latencies = next(iter(ceiling["latencies"].values()), [])
    print(
        f"ceiling: GET {ceiling_path}: {ceiling_requests} requests in {ceiling['seconds']:.1f} s"
        f" ({ceiling_rate:.0f} req/s), p50 {ms(percentile(latencies, 0.5))}"
        f" p99 {ms(percentile(latencies, 0.99))}, errors {sum(ceiling['errors'].values())}"
    )
    print(f"ratio clinic/ceiling requests per second: {clinic_rate / ceiling_rate:.2f}")
    # What the ratio would be if the server's CPU were the only limit: on a shared machine,
    # where neither phase saturates the server, the measured ratio is compressed towards 1.
    clinic_cpu = clinic["cpu"]["server"] / requests
    ceiling_cpu = ceiling["cpu"]["server"] / ceiling_requests
    print(f"ratio by server CPU per request (ceiling's / clinic's): {ceiling_cpu / clinic_cpu:.2f}")
    for name, phase, count in (
        ("clinic", clinic, requests),
        ("ceiling", ceiling, ceiling_requests),
    ):
        print(
            f"CPU per request, {name}: server (with its SFU workers)"
            f" {ms(phase['cpu']['server'] / count)}, PostgreSQL"
            f" {ms(phase['cpu']['database'] / count)}, load generator"
            f" {ms(phase['cpu']['generator'] / count)}"
            f" ({phase['cpu']['server'] / phase['seconds']:.0%},"
            f" {phase['cpu']['database'] / phase['seconds']:.0%} and"
            f" {phase['cpu']['generator'] / phase['seconds']:.0%} of a core)"
        )
    for phase in ("clinic", "ceiling"):
        for error, count in result[phase]["errors"].items():
            print(f"  error ({phase}) x{count}: {error}")


def report_operations(result: dict[str, Any], concurrency: int) -> None:
    """Each operation alone: latency, CPU per operation and SQL statements per operation."""
    print(
        f"each operation alone, {concurrency} concurrent loops (CPU and statements per"
        " operation; PostgreSQL: postmaster and backends; statements: pg_stat_statements, the"
        " round trips but for the pool's pre-pings, one per BEGIN while on)"
    )
    print(
        f"  {'operation':20} {'n':>5} {'err':>4} {'p50':>10} {'p99':>10} {'server CPU':>11}"
        f" {'PG CPU':>9} {'generator':>10} {'statements':>10} {'BEGIN':>6}"
    )
    for operation, figures in result["operations"].items():
        n = max(figures["n"], 1)
        cpu = figures["cpu"]
        database = "-" if cpu["database"] is None else ms(cpu["database"] / n)
        statements, begins = figures["statements"], figures["begins"]
        count = "-" if statements is None else f"{statements / n:.1f}"
        transactions = "-" if begins is None else f"{begins / n:.1f}"
        print(
            f"  {operation:20} {figures['n']:5} {sum(figures['errors'].values()):4}"
            f" {ms(percentile(figures['latencies'], 0.5)):>10}"
            f" {ms(percentile(figures['latencies'], 0.99)):>10}"
            f" {ms(cpu['server'] / n):>11} {database:>9} {ms(cpu['generator'] / n):>10}"
            f" {count:>10} {transactions:>6}"
        )
        for error, times in figures["errors"].items():
            print(f"    error x{times}: {error}")
    for delivery, values in result["deliveries"].items():
        print(
            f"  {delivery:20} {len(values):5}      {ms(percentile(values, 0.5)):>10}"
            f" {ms(percentile(values, 0.99)):>10}  (from the request sent to the other's socket)"
        )


def generator(module: str, server: RunningServer, database_pid: int | None) -> list[str]:
    """The command line of a load generator process against ``server``."""
    command = [
        sys.executable,
        "-m",
        module,
        f"--base-url={server.base_url}",
        f"--ws-url={server.ws_url}",
        f"--operator-key={server.operator_key}",
        f"--server-pid={server.process.pid}",
    ]
    return command + ([f"--database-pid={database_pid}"] if database_pid else [])


def run(command: list[str]) -> dict[str, Any]:
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def main(arguments: argparse.Namespace) -> None:
    raise_open_files()
    with bench_server() as (server, database_url):
        database_pid = None if os.environ.get("DATABASE_URL") else postmaster(database_url)
        ceiling_path = "/healthz"
        if httpx.get(server.base_url + ceiling_path).status_code != 200:
            ceiling_path = "/openapi.json"
        mix = run(
            [
                *generator("bench._api_client", server, database_pid),
                f"--ceiling-path={ceiling_path}",
                f"--concurrency={arguments.concurrency}",
                f"--slices={arguments.slices}",
                f"--ceiling={arguments.ceiling}",
                f"--clinic={arguments.clinic}",
            ]
        )
        report(mix, ceiling_path, arguments.concurrency)
        if arguments.operations > 0:
            operations = run(
                [
                    *generator("bench._operations", server, database_pid),
                    f"--database-url={database_url}",
                    f"--concurrency={arguments.concurrency}",
                    f"--consultations={arguments.operations}",
                ]
            )
            report_operations(operations, arguments.concurrency)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=20, help="concurrent loops")
    parser.add_argument("--slices", type=int, default=3, help="ceiling + clinic slices")
    parser.add_argument("--ceiling", type=float, default=4.0, help="seconds per ceiling slice")
    parser.add_argument("--clinic", type=float, default=12.0, help="seconds per clinic slice")
    parser.add_argument(
        "--operations",
        type=int,
        default=100,
        help="consultations for each operation alone (0: skip that stage)",
    )
    main(parser.parse_args())
