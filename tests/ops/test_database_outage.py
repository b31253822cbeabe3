"""When the database is away or every connection is busy: 503 with Retry-After, quickly."""

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest

from tests.client import Participant, create_consultation
from tests.fresh_db import fresh_database
from tests.server import RunningServer, hocovisio


@pytest.fixture
def lone_server(database_url: str, tmp_path: Path) -> Iterator[RunningServer]:
    """A server on a database of its own, with one pooled connection and a short wait."""
    env = {
        "HOCOVISIO_DB_POOL_SIZE": "1",
        "HOCOVISIO_DB_POOL_MAX_OVERFLOW": "0",
        "HOCOVISIO_DB_POOL_TIMEOUT": "0.5",
    }
    with fresh_database(database_url) as url, hocovisio(url, tmp_path, extra_env=env) as server:
        yield server


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, (response.request.url, response.text)
    assert response.headers["Retry-After"] == "1"
    assert response.json()["msg"]


async def test_every_endpoint_answers_503_while_the_database_refuses_connections(
    database_url: str, lone_server: RunningServer
):
    server = lone_server
    name = urlsplit(server.database_url).path.lstrip("/")
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        consultation = await create_consultation(http, server.operator_key)
        doctor = Participant(server.base_url, server.ws_url)
        await doctor.open(consultation.link("medecin"))
        operator = {"Authorization": f"Bearer {server.operator_key}"}
        calls = [
            lambda: http.post("/onetoone", headers=operator),
            lambda: http.get(consultation.link("patient")),
            lambda: doctor.http.get("/session/infos"),
            lambda: doctor.http.post("/session/infos", json={"data": {"weight": 70}}),
            lambda: doctor.http.post("/message", json={"text": "hello"}),
            lambda: doctor.http.get("/messages"),
            lambda: doctor.http.get("/document/1"),
            lambda: doctor.http.post("/validate", json={"sessionId": 1}),
            lambda: http.get("/settings"),
            lambda: http.get("/stats?from=2026-01-01&to=2026-01-02", headers=operator),
        ]
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            try:
                started = time.monotonic()
                answers = [await call() for call in calls]
                elapsed = time.monotonic() - started
            finally:
                admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        for answer in answers:
            assert_unavailable(answer)
        assert elapsed < 10
        # Back: the same requests work again, without a restart.
        assert (await doctor.http.get("/session/infos")).status_code == 200
        assert (await doctor.http.post("/message", json={"text": "back"})).status_code == 200
        await doctor.close()
    assert "Traceback" not in server.log()


async def test_a_request_that_finds_no_free_connection_gets_503_at_once(
    lone_server: RunningServer,
):
    server = lone_server
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        consultation = await create_consultation(http, server.operator_key)
        doctor = Participant(server.base_url, server.ws_url)
        await doctor.open(consultation.link("medecin"))
        socket = await doctor.socket()
        with psycopg.connect(server.database_url) as holder:
            # Hold the consultation's row: the next message waits for it, on the only
            # connection of the service's pool.
            holder.execute(
                "SELECT id FROM onetoone WHERE token = %s FOR UPDATE", (consultation.token,)
            )
            waiting = asyncio.create_task(doctor.http.post("/message", json={"text": "held"}))
            await asyncio.sleep(0.5)
            started = time.monotonic()
            busy = await doctor.http.get("/session/infos")
            elapsed = time.monotonic() - started
            # A socket request that needs the database (the catalogue) finds none free either.
            on_socket = await socket.request(
                "deviceConnected", {"vendor_id": "1209", "product_id": "0001", "node": "v0"}
            )
            holder.rollback()
        assert_unavailable(busy)
        assert elapsed < 2.0
        # The socket says the same, not "internal error".
        assert on_socket == {**on_socket, "ok": False, "errorReason": busy.json()["msg"]}
        assert (await waiting).status_code == 200
        assert (await doctor.http.get("/session/infos")).status_code == 200
        await doctor.close()


async def test_a_connection_the_database_dropped_costs_at_most_one_request(
    database_url: str, lone_server: RunningServer
):
    """No pre-ping on checkout: the request that finds its pooled connection dead gets a
    503, SQLAlchemy then discards the pool, and the next requests open fresh connections."""
    server = lone_server
    name = urlsplit(server.database_url).path.lstrip("/")
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        consultation = await create_consultation(http, server.operator_key)
        doctor = Participant(server.base_url, server.ws_url)
        await doctor.open(consultation.link("medecin"))
        assert (await doctor.http.get("/session/infos")).status_code == 200
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
        first = await doctor.http.get("/session/infos")
        if first.status_code != 200:
            assert_unavailable(first)
        for _ in range(3):
            assert (await doctor.http.get("/session/infos")).status_code == 200
        await doctor.close()
    assert "Traceback" not in server.log()


@pytest.fixture
def impatient_server(database_url: str, tmp_path: Path) -> Iterator[RunningServer]:
    """One pooled connection, statements given a second, lock waits half of one."""
    env = {
        "HOCOVISIO_DB_POOL_SIZE": "1",
        "HOCOVISIO_DB_POOL_MAX_OVERFLOW": "0",
        "HOCOVISIO_DB_STATEMENT_TIMEOUT": "1",
        "HOCOVISIO_DB_LOCK_TIMEOUT": "0.5",
    }
    with fresh_database(database_url) as url, hocovisio(url, tmp_path, extra_env=env) as server:
        yield server


async def test_a_frozen_database_gets_a_503_not_a_hang(
    database_url: str, impatient_server: RunningServer
):
    """The database's processes stopped (SIGSTOP: a frozen host, a stalled disk): the
    request on the pooled connection is given up after the statement timeout and a second,
    and answered 503; once the database moves again, so does the service."""
    server = impatient_server
    name = urlsplit(server.database_url).path.lstrip("/")
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        consultation = await create_consultation(http, server.operator_key)
    doctor = Participant(server.base_url, server.ws_url)
    await doctor.open(consultation.link("medecin"))
    assert (await doctor.http.get("/session/infos")).status_code == 200
    with psycopg.connect(database_url, autocommit=True) as admin:
        pids = [
            pid
            for (pid,) in admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,)
            ).fetchall()
        ]
    assert pids
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        frozen = await doctor.http.get("/session/infos")
        elapsed = time.monotonic() - started
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
    assert_unavailable(frozen)
    assert elapsed < 5, elapsed  # 1 s of statement timeout and 1 s more: not the freeze's
    async with asyncio.timeout(10):
        while (await doctor.http.get("/session/infos")).status_code != 200:
            await asyncio.sleep(0.2)
    await doctor.close()


async def test_a_statement_waiting_on_a_lock_gets_a_503(impatient_server: RunningServer):
    server = impatient_server
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        consultation = await create_consultation(http, server.operator_key)
    doctor = Participant(server.base_url, server.ws_url)
    await doctor.open(consultation.link("medecin"))
    with psycopg.connect(server.database_url) as holder:
        holder.execute("SELECT id FROM onetoone WHERE token = %s FOR UPDATE", (consultation.token,))
        started = time.monotonic()
        held = await doctor.http.post("/message", json={"text": "held"})
        elapsed = time.monotonic() - started
        holder.rollback()
    assert_unavailable(held)
    assert held.json() == {"msg": "the service is busy, try again"}
    assert elapsed < 3, elapsed
    assert (await doctor.http.post("/message", json={"text": "free"})).status_code == 200
    await doctor.close()
    assert "Traceback" not in server.log()
