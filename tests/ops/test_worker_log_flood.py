"""Hostile datagrams at the RTC port, before any authentication: each makes the worker log a
line ("ignoring received non STUN data from unknown tuple"), and the service summarises them
instead of writing a line per packet (sfu_control/wire/worker_log.py), counted in /metrics."""

import asyncio
import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server import SFU_WORKERS, RunningServer, free_port_range, hocovisio

DATAGRAMS_PER_PORT = 3000
IGNORED = "ignoring received non STUN data from unknown tuple"


@pytest.fixture
def rtc_server(database_url: str, tmp_path: Path) -> Iterator[tuple[RunningServer, int]]:
    base = free_port_range(SFU_WORKERS)
    env = {"HOCOVISIO_SFU_RTC_PORT": str(base)}
    with hocovisio(database_url, tmp_path, env) as server:
        yield server, base


def counter(metrics: str, name: str) -> float:
    found = re.search(rf"^{name}_total (\S+)$", metrics, re.MULTILINE)
    assert found is not None, name
    return float(found.group(1))


async def test_a_flood_of_hostile_datagrams_is_summarised(rtc_server: tuple[RunningServer, int]):
    server, base = rtc_server
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        before = counter((await http.get("/metrics")).text, "hocovisio_sfu_log_lines")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for n in range(DATAGRAMS_PER_PORT):
                for port in range(base, base + SFU_WORKERS):
                    sender.sendto(os.urandom(40 + n % 60), ("127.0.0.1", port))
                if n % 200 == 0:
                    await asyncio.sleep(0)
        sent = DATAGRAMS_PER_PORT * SFU_WORKERS
        # Barrier: the workers' lines have all reached the service once their count stops
        # moving (UDP on loopback drops some when the machine is busy).
        received, metrics = -1.0, ""
        async with asyncio.timeout(30):
            while True:
                await asyncio.sleep(1.0)
                metrics = (await http.get("/metrics")).text
                now = counter(metrics, "hocovisio_sfu_log_lines") - before
                if now == received:
                    break
                received = now
        assert received >= sent / 4, received
        held = counter(metrics, "hocovisio_sfu_log_lines_held")
        assert held >= received - 20, (held, received)
        # The window's summary names the kind and how many were not logged.
        async with asyncio.timeout(20):
            while not re.search(r"\d+ more worker lines like this one", server.log()):
                await asyncio.sleep(0.2)
    log = server.log()
    assert log.count(IGNORED) <= 12, log.count(IGNORED)  # 5 a window, and the summary's
    assert len(log.encode()) < 200_000
