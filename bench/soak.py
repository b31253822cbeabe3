"""Soak: ten minutes of the clinic mix at the highest load that keeps p99 under a second.

Starts a real ``hocovisio run`` (and an embedded PostgreSQL unless ``DATABASE_URL`` is set)
and drives it, like bench/api_load.py, with the load generator bench/_api_client.py in a
separate process on loopback, clinic phase only (whole simulated consultations):

1. The search, skipped with ``--clinics``: steps of ``--step-seconds`` with N concurrent
   simulated clinics, N doubling from 2 until a step fails, then bisecting between the last
   step that passed and the first that failed, to within an eighth. A step passes when the
   p99 over all request operations (HTTP requests, socket connections and socket requests;
   not the event deliveries) is under 1 s and nothing failed, its warm-up included. On a
   shared machine the search is noisy: near the limit a step passes or fails by chance, and
   the soak tells whether the load found holds.
2. The soak: ``--minutes`` at the highest load that passed (at the lowest one tried if none
   did, to show the failures), with a line per minute as it runs (requests/s, p99, errors,
   server RSS, CPU) so that drift shows; then requests/s, p50/p99/max per operation, event
   delivery latency, every error with its kind, the server's RSS at the soak's start, after
   its first minute (the server settled) and at its end, the CPU per request of the server
   (with its SFU workers), of PostgreSQL (embedded only) and of the load generator, and the
   warnings and errors of the server's log during the soak, counted.

The exit status is 1 when the soak had any error (an error answer, a 5xx, a lost event, a
socket closed by the server, a timeout...) or a p99 of 1 s or more, so that ``make bench``
fails loudly.

Every simulated clinic calls from 127.0.0.1, so the per-address rate limits are turned off
for the run (``HOCOVISIO_RATE_LIMIT_ENABLED=false``): they would measure the limiter. The
open-files limit is raised to its hard limit, for the server and the generator (each clinic
holds about nine connections).

    MEDIASOUP_WORKER_BIN=... .venv/bin/python -m bench.soak [--minutes 10] [--clinics N]
"""

import argparse
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

from tests.server import RunningServer, postgres

from ._common import machine, ms, percentile, raise_open_files
from ._database import bench_server, postmaster
from .api_load import DELIVERIES

P99_LIMIT = 1.0
MiB = 2**20


def generate(
    server: RunningServer,
    database_pid: int | None,
    clinics: int,
    seconds: float,
    interval: float = 0.0,
) -> Iterator[dict[str, Any]]:
    """Run the load generator; yield its JSON lines as they come: intervals, then the result."""
    command = [
        sys.executable,
        "-m",
        "bench._api_client",
        f"--base-url={server.base_url}",
        f"--ws-url={server.ws_url}",
        f"--operator-key={server.operator_key}",
        f"--server-pid={server.process.pid}",
        f"--concurrency={clinics}",
        "--slices=1",
        "--ceiling=0",
        f"--clinic={seconds}",
        f"--interval={interval}",
    ]
    if database_pid is not None:
        command.append(f"--database-pid={database_pid}")
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        for line in process.stdout:
            yield json.loads(line)
    if process.returncode:
        raise SystemExit(f"the load generator failed (exit status {process.returncode})")


def requests(phase: dict[str, Any]) -> list[float]:
    """The latencies of every request operation: all but the event deliveries."""
    return [
        value
        for operation, values in phase["latencies"].items()
        if operation not in DELIVERIES
        for value in values
    ]


def errors(phase: dict[str, Any]) -> int:
    return sum(phase["errors"].values())


def kinds(phase: dict[str, Any]) -> str:
    """The phase's error count by kind, for a one-line summary; empty when none."""
    counts = ", ".join(f"{kind} {count}" for kind, count in sorted(phase["error_kinds"].items()))
    return f" ({counts})" if counts else ""


def passes(result: dict[str, Any]) -> bool:
    clinic = result["clinic"]
    failed = errors(clinic) + errors(result["warm-up"])
    return failed == 0 and percentile(requests(clinic), 0.99) < P99_LIMIT


def step_line(clinics: int, result: dict[str, Any]) -> str:
    clinic = result["clinic"]
    worst = max(
        clinic["latencies"].items(), key=lambda item: percentile(item[1], 0.99), default=("-", [])
    )
    return (
        f"  {clinics:3} clinics: {len(requests(clinic)) / clinic['seconds']:6.1f} req/s,"
        f" p99 {ms(percentile(requests(clinic), 0.99)):>11} (worst: {worst[0]}"
        f" {ms(percentile(worst[1], 0.99))}), errors {errors(clinic)}{kinds(clinic)},"
        f" in the warm-up {errors(result['warm-up'])}{kinds(result['warm-up'])}:"
        f" {'pass' if passes(result) else 'FAIL'}"
    )


def search(server: RunningServer, database_pid: int | None, seconds: float, most: int) -> int:
    """The highest number of clinics whose step passed, or the lowest tried if none did."""
    print(
        f"search: {seconds:.0f} s per step; a step passes with p99 < {P99_LIMIT:.0f} s over all"
        " requests and no error",
        flush=True,
    )
    passed, failed = 0, 0
    clinics = 2
    while True:
        *_, result = generate(server, database_pid, clinics, seconds)
        print(step_line(clinics, result), flush=True)
        if passes(result):
            passed = clinics
        else:
            failed = clinics
        if not failed and clinics < most:
            clinics = min(2 * clinics, most)
        elif failed - passed > max(1, passed // 8):
            clinics = (passed + failed) // 2
        else:
            break
    if passed:
        print(f"the highest load that passed: {passed} clinics", flush=True)
        return passed
    print(f"no load passed: the soak runs at {failed} clinics, to show the failures", flush=True)
    return failed


def minute_line(interval: dict[str, Any], start: float) -> str:
    values = requests(interval)
    seconds = interval["seconds"]
    rss = interval["memory"]["end"]
    cpu = interval["cpu"]
    return (
        f"  {start:5.1f}-{start + seconds:5.1f} s: {len(values) / seconds:6.1f} req/s,"
        f" p99 {ms(percentile(values, 0.99)):>11}, errors {errors(interval)}{kinds(interval)},"
        f" RSS server {rss['server'] / MiB:.1f} MiB"
        f" + SFU workers {rss['workers'] / MiB:.1f} MiB, CPU server"
        f" {cpu['server'] / seconds:.0%} PostgreSQL {cpu['database'] / seconds:.0%}"
        f" generator {cpu['generator'] / seconds:.0%}"
    )


def soak(
    server: RunningServer, database_pid: int | None, clinics: int, minutes: float
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The generator's result, and its minutes, printed as they come."""
    print(f"soak: {clinics} concurrent clinics for {minutes:g} min, a line per minute", flush=True)
    elapsed = 0.0
    intervals = []
    for line in generate(server, database_pid, clinics, minutes * 60, interval=60):
        if "interval" not in line:
            return line, intervals
        intervals.append(line["interval"])
        print(minute_line(line["interval"], elapsed), flush=True)
        elapsed += line["interval"]["seconds"]
    raise SystemExit("the load generator printed no result")


def report(
    result: dict[str, Any], intervals: list[dict[str, Any]], clinics: int, server: RunningServer
) -> bool:
    """Print the soak's figures; whether it passed."""
    clinic, warm_up = result["clinic"], result["warm-up"]
    values = requests(clinic) or [0.0]  # a server dead from the start answered nothing
    seconds = clinic["seconds"]
    p99 = percentile(values, 0.99)
    print(
        f"soak, {clinics} concurrent clinics: {clinic['consultations']} consultations in"
        f" {seconds:.1f} s ({clinic['consultations'] / seconds:.1f}/s), {len(values)}"
        f" requests ({len(values) / seconds:.1f} req/s)"
    )
    rows = sorted(clinic["latencies"].items())
    for operation, latencies in [*rows, ("all requests", values)]:
        print(
            f"  {operation:22} n={len(latencies):7}  p50 {ms(percentile(latencies, 0.5)):>11}"
            f"  p99 {ms(percentile(latencies, 0.99)):>11}"
            f"  max {ms(max(latencies, default=0.0)):>11}"
        )
    failed = errors(clinic) + errors(warm_up)
    print(f"errors: {errors(clinic)} (and {errors(warm_up)} in the warm-up)")
    for phase in (warm_up, clinic):
        for kind, count in sorted(phase["error_kinds"].items()):
            print(f"  {kind}: {count}{' (warm-up)' if phase is warm_up else ''}")
        for error, count in sorted(phase["errors"].items(), key=lambda item: -item[1]):
            print(f"    x{count} {error}")
    # The first minute's growth is the server settling at the load (pools, buffers, caches);
    # growth after it would be a leak.
    start, end = clinic["memory"]["start"], clinic["memory"]["end"]
    first = intervals[0]["memory"]["end"]
    for name, label in (("server", "server"), ("workers", "SFU workers")):
        print(
            f"RSS {label}: {start[name] / MiB:.1f} MiB at the soak's start,"
            f" {first[name] / MiB:.1f} MiB after its first minute, {end[name] / MiB:.1f} MiB at"
            f" its end ({(end[name] - start[name]) / MiB:+.1f} MiB, after the first minute"
            f" {(end[name] - first[name]) / MiB:+.1f} MiB)"
        )
    cpu = clinic["cpu"]
    print(
        f"CPU per request: server (with its SFU workers) {ms(cpu['server'] / len(values))},"
        f" PostgreSQL {ms(cpu['database'] / len(values))}, load generator"
        f" {ms(cpu['generator'] / len(values))} ({cpu['server'] / seconds:.0%},"
        f" {cpu['database'] / seconds:.0%} and {cpu['generator'] / seconds:.0%} of a core)"
    )
    if server.process.poll() is not None:
        print(f"the server exited during the soak (exit status {server.process.returncode})")
        failed += 1
    ok = failed == 0 and p99 < P99_LIMIT
    verdict = "PASS" if ok else "FAIL"
    print(f"{verdict}: p99 {ms(p99)} (limit {P99_LIMIT:.0f} s), {failed} errors (must be 0)")
    return ok


LOG_LINE = re.compile(r"^\S+ \S+ (WARNING|ERROR|CRITICAL) (\S+) \[[^\]]*\] (.*)$")
EXCEPTION_LINE = re.compile(r"^([A-Za-z_]\w*(?:\.\w+)+): ")  # a traceback's last line


def print_log_problems(server: RunningServer, start: int) -> None:
    """The server's warnings, errors and exceptions from the log's byte ``start``, counted."""
    with server.log_path.open("rb") as log:
        log.seek(start)
        lines = log.read().decode(errors="replace").splitlines()
    problems: Counter[str] = Counter()
    for line in lines:
        if entry := LOG_LINE.match(line):
            level, logger, message = entry.groups()
            problems[f"{level} {logger}: {message[:100]}"] += 1
        elif EXCEPTION_LINE.match(line):
            problems[f"exception {line[:120]}"] += 1
    print(f"server log during the soak: {sum(problems.values())} warnings, errors, exceptions")
    for problem, count in problems.most_common(10):
        print(f"  x{count} {problem}")


def main(arguments: argparse.Namespace) -> None:
    raise_open_files()
    with bench_server(postgres) as (server, database_url):
        database_pid = None if os.environ.get("DATABASE_URL") else postmaster(database_url)
        print(f"# Soak: the clinic mix for {arguments.minutes:g} min\n{machine()}", flush=True)
        clinics = arguments.clinics
        if clinics is None:
            clinics = search(server, database_pid, arguments.step_seconds, arguments.most)
        log_start = server.log_path.stat().st_size
        result, intervals = soak(server, database_pid, clinics, arguments.minutes)
        ok = report(result, intervals, clinics, server)
        print_log_problems(server, log_start)
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clinics", type=int, help="the load to soak at, without a search")
    parser.add_argument("--step-seconds", type=float, default=30.0)
    parser.add_argument("--most", type=int, default=64, help="the search's highest load")
    main(parser.parse_args())
