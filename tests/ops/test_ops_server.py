"""A server configured like production: JSON debug logs with the access log, a trusted
proxy, a metrics token and tight rate limits. Its log must never hold a secret."""

import asyncio
import json
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from app.config.logging_setup import format_exception
from tests.client import Participant, create_consultation
from tests.fresh_db import fresh_database
from tests.server import RunningServer, hocovisio

METRICS_TOKEN = "metrics-token-for-the-test"
SESSION_OPENS_PER_MINUTE = 5


@pytest.fixture(scope="module")
def ops_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    env = {
        "HOCOVISIO_LOG_LEVEL": "debug",
        "HOCOVISIO_LOG_FORMAT": "json",
        "HOCOVISIO_ACCESS_LOG": "true",
        "HOCOVISIO_METRICS_TOKEN": METRICS_TOKEN,
        "HOCOVISIO_TRUSTED_PROXIES": '["127.0.0.0/8"]',
        "HOCOVISIO_RATE_LIMIT_SESSION_OPEN": str(SESSION_OPENS_PER_MINUTE),
        "HOCOVISIO_RATE_LIMIT_UPLOAD": "2",
        "HOCOVISIO_RATE_LIMIT_SOCKET_REQUESTS": "20",
    }
    # A database of its own: instances sharing one share their link-opening buckets, and this
    # one's limit is not the others'.
    with (
        fresh_database(database_url) as url,
        hocovisio(url, tmp_path_factory.mktemp("ops"), extra_env=env) as running,
    ):
        yield running


@pytest.fixture
async def client(ops_server: RunningServer) -> AsyncIterator[Callable[[str], Participant]]:
    """Participants of the ops server, each coming (through the proxy) from ``address``."""
    made: list[Participant] = []

    def make(address: str) -> Participant:
        made.append(Participant(ops_server.base_url, ops_server.ws_url))
        made[-1].http.headers["X-Forwarded-For"] = f"{address}, 127.0.0.1"
        return made[-1]

    yield make
    for participant in made:
        await participant.close()


async def test_log_of_a_full_scenario_holds_no_secret(
    ops_server: RunningServer, client: Callable[[str], Participant]
):
    operator = httpx.AsyncClient(base_url=ops_server.base_url, timeout=10)
    consultation = await create_consultation(operator, ops_server.operator_key)
    doctor, patient, newcomer = (client("198.51.100.1") for _ in range(3))
    await doctor.open(consultation.link("medecin"))
    await patient.open(consultation.link("patient"))
    doctor_socket = await doctor.socket()
    pending = (await newcomer.open(consultation.link("patient"))).json()["session"]
    await doctor_socket.event("newSessionToValidate")
    medical = "penicillin-allergy-" + ops_server.operator_key[-6:]
    written = await patient.http.post("/session/infos", json={"data": {"allergies": medical}})
    assert written.status_code == 200
    assert (await doctor.http.post("/validate", json={"sessionId": pending["id"]})).is_success
    assert (await doctor_socket.request("getPeers"))["ok"]
    await doctor.http.get(f"/session/infos?token={consultation.token}")
    killed = await operator.delete(
        f"/onetoone/{consultation.token}",
        headers={"Authorization": f"Bearer {ops_server.operator_key}"},
    )
    assert killed.status_code == 200
    await operator.aclose()
    await asyncio.sleep(0.5)

    log = ops_server.log()
    secrets = [
        ops_server.operator_key,
        consultation.token,
        medical,
        *(s["token"] for s in consultation.sessions.values()),
        *(p.credential for p in (doctor, patient, newcomer) if p.credential),
    ]
    for secret in secrets:
        assert secret not in log
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert any(line["logger"] == "hypercorn.access" for line in lines)
    assert any("/session/***/***" in line["msg"] for line in lines)
    assert any(line["level"] == "debug" for line in lines)
    assert any(line["request_id"] != "-" for line in lines)


async def test_link_openings_over_the_limit_get_429(
    ops_server: RunningServer, client: Callable[[str], Participant]
):
    async with httpx.AsyncClient(base_url=ops_server.base_url) as operator:
        consultation = await create_consultation(operator, ops_server.operator_key)
    opener = client("203.0.113.7")
    statuses = [(await opener.open(consultation.link("medecin"))) for _ in range(6)]
    assert [r.status_code for r in statuses[:5]] == [200] * 5
    assert statuses[5].status_code == 429
    assert statuses[5].json() == {"msg": "rate limited, try again later"}
    assert int(statuses[5].headers["Retry-After"]) >= 1
    # Another address is not affected; the same address on other links is, past its limit.
    assert (await client("203.0.113.8").open(consultation.link("patient"))).status_code == 200


async def test_openings_from_one_address_over_the_limit_get_429(
    ops_server: RunningServer, client: Callable[[str], Participant]
):
    async with httpx.AsyncClient(base_url=ops_server.base_url) as operator:
        consultations = [await create_consultation(operator, ops_server.operator_key)]
        consultations.append(await create_consultation(operator, ops_server.operator_key))
    links = [c.link(role) for c in consultations for role in ("medecin", "patient", "patient")]
    statuses = [(await client("203.0.113.9").open(link)).status_code for link in links]
    assert statuses[:5] == [200] * 5
    assert statuses[5] == 429


async def test_uploads_over_the_limit_get_429(
    ops_server: RunningServer, client: Callable[[str], Participant]
):
    async with httpx.AsyncClient(base_url=ops_server.base_url) as operator:
        consultation = await create_consultation(operator, ops_server.operator_key)
    doctor = client("203.0.113.10")
    await doctor.open(consultation.link("medecin"))
    files = {"document": ("note.txt", b"hello", "text/plain")}
    statuses = [(await doctor.http.post("/upload-file", files=files)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


async def test_socket_requests_over_the_limit_are_refused(
    ops_server: RunningServer, client: Callable[[str], Participant]
):
    async with httpx.AsyncClient(base_url=ops_server.base_url) as operator:
        consultation = await create_consultation(operator, ops_server.operator_key)
    doctor = client("203.0.113.11")
    await doctor.open(consultation.link("medecin"))
    socket = await doctor.socket()
    answers = await asyncio.gather(*(socket.request("getPeers") for _ in range(25)))
    refused = [a for a in answers if not a["ok"]]
    assert len(refused) >= 5
    assert {a["errorReason"] for a in refused} == {"rate limited"}


async def test_metrics_need_the_token(ops_server: RunningServer):
    async with httpx.AsyncClient(base_url=ops_server.base_url) as http:
        refused = await http.get("/metrics")
        assert refused.status_code == 401
        assert refused.json() == {"msg": "metrics token required"}
        served = await http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert served.status_code == 200
        assert "hocovisio_sfu_workers_alive" in served.text


async def test_trusted_proxy_headers_are_honoured(
    ops_server: RunningServer, client: Callable[[str], Participant]
):
    async with httpx.AsyncClient(base_url=ops_server.base_url) as operator:
        consultation = await create_consultation(operator, ops_server.operator_key)
    patient = client("203.0.113.12")
    patient.http.headers.update({"X-Forwarded-Proto": "https", "X-Request-ID": "proxy-id-42"})
    response = await patient.open(consultation.link("patient"))
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "secure" in response.headers["Set-Cookie"].lower()
    assert response.headers["X-Request-ID"] == "proxy-id-42"


async def test_proxy_headers_from_anyone_else_are_ignored(http: httpx.AsyncClient, consultation):
    headers = {"X-Forwarded-Proto": "https", "X-Request-ID": "forged-id"}
    response = await http.get(consultation.link("patient"), headers=headers)
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers
    assert "secure" not in response.headers["Set-Cookie"].lower()
    assert response.headers["X-Request-ID"] != "forged-id"


def postgres_log(database_url: str) -> str:
    """PostgreSQL's own log (the embedded server writes it in its data directory)."""
    with psycopg.connect(database_url) as sql:
        (data_directory,) = sql.execute("SHOW data_directory").fetchone()
    return (Path(data_directory) / "log").read_text(errors="replace")


async def test_log_of_hostile_and_busy_requests_holds_no_secret(
    ops_server: RunningServer, client: Callable[[str], Participant]
):
    """Every case that used to put a token or medical text in a log (issue: a NUL after a
    link's token, a NUL in the form, deadlocked chat), then both logs grepped."""
    operator = httpx.AsyncClient(base_url=ops_server.base_url, timeout=10)
    consultation = await create_consultation(operator, ops_server.operator_key)
    await operator.aclose()
    doctor, patient = client("198.51.100.21"), client("198.51.100.22")
    await doctor.open(consultation.link("medecin"))
    await patient.open(consultation.link("patient"))
    marker = ops_server.operator_key[-8:]
    diagnosis = f"suspected-melanoma-{marker}"
    chat = f"my-chest-hurts-{marker}"

    hostile = [
        patient.http.get(consultation.link("patient") + "%00"),
        patient.http.get("/session/%00/%00"),
        patient.http.post(
            "/session/infos",
            content=f'{{"data": {{"diagnosis": "{diagnosis}", "note": "x\\u0000"}}}}',
            headers={"Content-Type": "application/json"},
        ),
        patient.http.post(
            "/session/infos",
            content=f'{{"data": {{"diagnosis": "{diagnosis}\\ud800"}}}}',
            headers={"Content-Type": "application/json"},
        ),
        patient.http.post("/message", json={"text": f"{chat}\u0000"}),
        patient.http.get("/document/2147483648"),
    ]
    for answer in await asyncio.gather(*hostile):
        assert 400 <= answer.status_code < 500, (answer.request.url, answer.text)
    busy = [
        who.http.post("/message", json={"text": f"{chat}-{i}"})
        for i in range(8)
        for who in (doctor, patient)
    ]
    assert {answer.status_code for answer in await asyncio.gather(*busy)} == {200}
    written = await patient.http.post("/session/infos", json={"data": {"diagnosis": diagnosis}})
    assert written.status_code == 200
    await asyncio.sleep(0.5)

    secrets = [
        consultation.token,
        *(s["token"] for s in consultation.sessions.values()),
        *(p.credential for p in (doctor, patient) if p.credential),
        diagnosis,
        chat,
    ]
    service_log, database_log = ops_server.log(), postgres_log(ops_server.database_url)
    for secret in secrets:
        assert secret not in service_log
        assert secret not in database_log
    assert "Traceback" not in service_log


def test_the_database_log_keeps_no_refused_value(database_url: str):
    """The tests' PostgreSQL is set up like the embedded one of ``hocovisio run``: an error
    is logged without the statement and without the DETAIL/CONTEXT that quote the value."""
    marker = "tumour-" + os.urandom(6).hex()
    with psycopg.connect(database_url) as sql, pytest.raises(psycopg.errors.DataError):
        sql.execute(f'SELECT \'{{"diagnosis": "{marker}\' ::jsonb')
    log = postgres_log(database_url)
    assert "invalid input syntax for type json" in log
    assert marker not in log


def test_a_database_error_is_logged_by_sqlstate_only(database_url: str):
    marker = "allergy-" + os.urandom(6).hex()
    with psycopg.connect(database_url) as sql:
        try:
            sql.execute("SELECT %s::int", (marker,))
        except psycopg.errors.InvalidTextRepresentation as error:
            text = format_exception(error)
    assert marker not in text
    assert "psycopg.errors.InvalidTextRepresentation: [withheld] SQLSTATE 22P02" in text
    assert "test_a_database_error_is_logged_by_sqlstate_only" in text
