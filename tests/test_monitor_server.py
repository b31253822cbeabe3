"""The monitor inside a running service: participants are told, their sockets closed."""

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.client import Participant, create_consultation
from tests.fresh_db import fresh_database
from tests.server import RunningServer, hocovisio


@pytest.fixture
def fresh_url(database_url: str) -> Iterator[str]:
    with fresh_database(database_url) as url:
        yield url


async def status(url: str, token: str) -> str:
    with psycopg.connect(url) as sql:
        return sql.execute("SELECT status FROM onetoone WHERE token = %s", (token,)).fetchone()[0]


async def doctor_of(server: RunningServer, http: httpx.AsyncClient) -> tuple[str, Participant]:
    consultation = await create_consultation(http, server.operator_key)
    doctor = Participant(server.base_url, server.ws_url)
    assert (await doctor.open(consultation.link("medecin"))).status_code == 200
    return consultation.token, doctor


async def test_the_monitor_ends_idle_and_expired_consultations(fresh_url: str, tmp_path: Path):
    env = {
        "HOCOVISIO_MONITOR_INTERVAL": "0.2",
        "HOCOVISIO_CONSULTATION_IDLE_TIMEOUT": "1.5",
        "HOCOVISIO_CONSULTATION_MAX_AGE": "5",
    }
    with hocovisio(fresh_url, tmp_path, extra_env=env) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            live_token, live = await doctor_of(server, http)
            quiet_token, quiet = await doctor_of(server, http)
            socket = await live.socket()
            try:
                # Nobody on the quiet one: idle after 1.5 s. The open socket is activity.
                await asyncio.sleep(3)
                assert await status(fresh_url, quiet_token) == "killed"
                assert await status(fresh_url, live_token) == "active"
                ended = await socket.event("consultationEnded", timeout=5)
                assert ended == {"reason": "expired"}
                await asyncio.wait_for(socket.connection.wait_closed(), 5)
                assert socket.connection.close_code == 4000
            finally:
                await live.close()
                await quiet.close()
    with psycopg.connect(fresh_url) as sql:
        rows = sql.execute(
            "SELECT o.token, s.detail->>'reason' FROM stats s JOIN onetoone o"
            " ON o.id = s.onetoone_id WHERE s.event = 'killed'"
        ).fetchall()
    assert sorted(rows) == sorted([(quiet_token, "idle"), (live_token, "expired")])


async def test_a_kill_from_the_command_line_reaches_the_running_service(
    fresh_url: str, tmp_path: Path
):
    env = {"HOCOVISIO_MONITOR_INTERVAL": "0.2"}
    with hocovisio(fresh_url, tmp_path, extra_env=env) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            _, doctor = await doctor_of(server, http)
            socket = await doctor.socket()
            try:
                before = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
                result = subprocess.run(
                    [sys.executable, "-m", "app.cli", "monitor", "kill", "--before", before],
                    env={**os.environ, "DATABASE_URL": fresh_url},
                    capture_output=True,
                    text=True,
                )
                assert result.returncode == 0, result.stderr
                assert "killed 1 consultation(s)" in result.stdout
                assert await socket.event("consultationEnded") == {"reason": "expired"}
            finally:
                await doctor.close()


async def test_the_monitor_removes_uploads_a_crash_left_behind(fresh_url: str, tmp_path: Path):
    """Temporary upload files untouched for an hour are removed; recent ones are kept."""
    temp = tmp_path / "documents" / "tmp"
    temp.mkdir(parents=True)
    abandoned, recent = temp / "abandoned.part", temp / "in-progress.part"
    abandoned.write_bytes(b"half a document")
    recent.write_bytes(b"an upload still being written")
    two_hours_ago = datetime.now(UTC).timestamp() - 7200
    os.utime(abandoned, (two_hours_ago, two_hours_ago))
    with hocovisio(fresh_url, tmp_path, extra_env={"HOCOVISIO_MONITOR_INTERVAL": "0.2"}):
        for _ in range(50):
            if not abandoned.exists():
                break
            await asyncio.sleep(0.1)
        assert not abandoned.exists()
        assert recent.read_bytes() == b"an upload still being written"
