"""Debian's coturn on loopback, configured as a clinic would for HOCOVISIO: coturn's REST-API
scheme (``use-auth-secret``), so that the service's short-lived credentials are the only way
in, and its log kept for the tests to read."""

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.server import free_port, free_port_range, stop

TURNSERVER = "/usr/bin/turnserver"
RELAY_PORTS = 32


@dataclass
class TurnServer:
    port: int
    secret: str
    log_path: Path

    @property
    def url(self) -> str:
        return f"turn:127.0.0.1:{self.port}?transport=udp"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextmanager
def coturn(folder: Path, again: TurnServer | None = None) -> Iterator[TurnServer]:
    """A running coturn, stopped on exit; ``again`` starts a stopped one anew, on its port and
    with its secret (its allocations are gone: a relay that restarted)."""
    if shutil.which(TURNSERVER) is None:
        raise RuntimeError("Debian's coturn is missing: run `make setup` (scripts/setup-system.sh)")
    folder.mkdir(parents=True, exist_ok=True)
    port, relay = (again.port if again else free_port()), free_port_range(RELAY_PORTS)
    secret = again.secret if again else os.urandom(16).hex()
    server = TurnServer(port, secret, folder / f"turnserver-{time.monotonic_ns()}.log")
    process = subprocess.Popen(
        [
            TURNSERVER,
            "-n",  # no configuration file: the options below only
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            f"--listening-port={port}",
            f"--min-port={relay}",
            f"--max-port={relay + RELAY_PORTS - 1}",
            "--use-auth-secret",
            f"--static-auth-secret={server.secret}",
            "--realm=hocovisio.test",
            "--fingerprint",
            # The SFU is on loopback too: coturn refuses such peers unless told.
            "--allow-loopback-peers",
            "--no-tls",
            "--no-dtls",
            "--no-cli",
            "--no-stdout-log",
            "--simple-log",
            f"--log-file={server.log_path}",
            "--verbose",
            f"--pidfile={folder / 'turnserver.pid'}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while "UDP listener opened on" not in server.log():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"coturn did not start:\n{server.log()}")
            time.sleep(0.05)
        yield server
    finally:
        stop(process)
