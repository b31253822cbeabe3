"""A client that stops acknowledging what it is sent (its network gone, or a client that never
reads) is disconnected after ``tcp_user_timeout``, and its session leaves for the others,
instead of holding its socket while the kernel retransmits for a quarter of an hour; a silent
connection is probed by the system (TCP keepalive), so that one gone quiet is noticed too."""

import base64
import secrets
import socket
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from tests.client import Participant, create_consultation
from tests.fresh_db import fresh_database
from tests.server import RunningServer, hocovisio

USER_TIMEOUT = 2


@pytest.fixture(scope="module")
def impatient(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    env = {
        "HOCOVISIO_TCP_USER_TIMEOUT": str(USER_TIMEOUT),
        "HOCOVISIO_TCP_KEEPALIVE_IDLE": "30",
        "HOCOVISIO_MAX_JSON_BODY_BYTES": "300000",
    }
    with (
        fresh_database(database_url) as url,
        hocovisio(url, tmp_path_factory.mktemp("impatient"), env) as server,
    ):
        yield server


def silent_socket(server: RunningServer, credential: str) -> socket.socket:
    """A participant's WebSocket, opened by hand, that never reads another byte."""
    host, port = server.base_url.removeprefix("http://").split(":")
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: the window
    raw.connect((host, int(port)))
    key = base64.b64encode(secrets.token_bytes(16)).decode()
    raw.sendall(
        (
            f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Bearer {credential}\r\n\r\n"
        ).encode()
    )
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += raw.recv(1)
    assert answer.startswith(b"HTTP/1.1 101"), answer
    return raw


async def test_a_client_that_stops_reading_is_disconnected_and_leaves(
    impatient: RunningServer,
) -> None:
    async with httpx.AsyncClient(base_url=impatient.base_url, timeout=10) as http:
        consultation = await create_consultation(http, impatient.operator_key)
    doctor = Participant(impatient.base_url, impatient.ws_url)
    patient = Participant(impatient.base_url, impatient.ws_url)
    try:
        await doctor.open(consultation.link("medecin"))
        await patient.open(consultation.link("patient"))
        doctor_socket = await doctor.socket()
        assert patient.credential is not None and patient.session is not None
        silent = silent_socket(impatient, patient.credential)
        assert (await doctor_socket.event("peerJoined"))["peerId"] == patient.session["id"]

        # The doctor fills in the form: each update goes to the silent socket, until what it
        # was sent fills both sides' buffers and its window stays shut.
        form = {"notes": "x" * 200_000}
        for _ in range(40):
            posted = await doctor.http.post(
                "/session/infos", json={"data": form}, headers=doctor.auth()
            )
            assert posted.status_code == 200, posted.text
        left = await doctor_socket.event("peerLeft", timeout=USER_TIMEOUT + 15)
        assert left == {"peerId": patient.session["id"]}
        silent.close()
    finally:
        await doctor.close()
        await patient.close()


def server_timers(server: RunningServer) -> list[str]:
    """The TCP timers of the service's side of its established connections, as ss shows
    them (``timer:(keepalive,29sec,0)``)."""
    port = server.base_url.rsplit(":", 1)[1]
    shown = subprocess.run(
        ["ss", "-tnoH", "state", "established", f"( sport = :{port} )"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return [line.split("timer:", 1)[1] for line in shown.splitlines() if "timer:" in line]


async def test_a_silent_connection_is_probed_by_the_system(impatient: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=impatient.base_url, timeout=10) as http:
        consultation = await create_consultation(http, impatient.operator_key)
    doctor = Participant(impatient.base_url, impatient.ws_url)
    try:
        await doctor.open(consultation.link("medecin"))
        await doctor.socket()
        timers = server_timers(impatient)
        assert timers and all(timer.startswith("(keepalive,") for timer in timers), timers
    finally:
        await doctor.close()
