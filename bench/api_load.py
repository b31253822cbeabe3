"""API and WebSocket under load: simulated consultations beside the framework's ceiling.

Starts a real ``hocovisio run`` (and an embedded PostgreSQL unless ``DATABASE_URL`` is set),
then runs the load generator (bench/_api_client.py) as a separate process on loopback. The
generator alternates slices of whole simulated consultations with slices hammering
``GET /healthz`` (the most trivial route: no database, no auth), so machine load falls on
both alike; the report gives requests per second, p50/p99 latency per operation, event
delivery latency and errors, and the ratio to the ceiling.

Every simulated clinic calls from 127.0.0.1, so the per-address rate limits are turned off
for the run (``HOCOVISIO_RATE_LIMIT_ENABLED=false``): they would measure the limiter.

    MEDIASOUP_WORKER_BIN=... .venv/bin/python -m bench.api_load
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from tests.server import hocovisio, postgres

from ._common import machine, ms, percentile

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
    for name, phase, count in (
        ("clinic", clinic, requests),
        ("ceiling", ceiling, ceiling_requests),
    ):
        print(
            f"CPU per request, {name}: server (with its SFU workers)"
            f" {ms(phase['cpu']['server'] / count)}, load generator"
            f" {ms(phase['cpu']['generator'] / count)}"
            f" ({phase['cpu']['server'] / phase['seconds']:.0%} and"
            f" {phase['cpu']['generator'] / phase['seconds']:.0%} of a core)"
        )
    for phase in ("clinic", "ceiling"):
        for error, count in result[phase]["errors"].items():
            print(f"  error ({phase}) x{count}: {error}")


def main(arguments: argparse.Namespace) -> None:
    with (
        postgres() as database_url,
        tempfile.TemporaryDirectory(prefix="hocovisio-bench-") as folder,
        hocovisio(
            database_url, Path(folder), extra_env={"HOCOVISIO_RATE_LIMIT_ENABLED": "false"}
        ) as server,
    ):
        ceiling_path = "/healthz"
        if httpx.get(server.base_url + ceiling_path).status_code != 200:
            ceiling_path = "/openapi.json"
        command = [
            sys.executable,
            "-m",
            "bench._api_client",
            f"--base-url={server.base_url}",
            f"--ws-url={server.ws_url}",
            f"--operator-key={server.operator_key}",
            f"--server-pid={server.process.pid}",
            f"--ceiling-path={ceiling_path}",
            f"--concurrency={arguments.concurrency}",
            f"--slices={arguments.slices}",
            f"--ceiling={arguments.ceiling}",
            f"--clinic={arguments.clinic}",
        ]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        report(json.loads(output), ceiling_path, arguments.concurrency)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--slices", type=int, default=3)
    parser.add_argument("--ceiling", type=float, default=4.0)
    parser.add_argument("--clinic", type=float, default=12.0)
    main(parser.parse_args())
