"""Frames over a socket's cap, or faster than its session's byte budget, are refused before they
are parsed (app/ws/frame_limits.py): the socket closes with 1009 or 1008, the server says so
once in its log, and the other consultations are served meanwhile; a session reconnecting in a
loop is held back at the handshake. (How little the others' latency moves is measured by
bench/hostile_frames.py, not here.)"""

import asyncio
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from tests.client import Consultation, Participant, Socket, create_consultation
from tests.server import RunningServer, hocovisio

CLOSE_TOO_BIG = 1009
CLOSE_POLICY = 1008
HUGE = 16 * 1024 * 1024 - 200  # just under what Hypercorn took before


def nested_request(size: int) -> str:
    """A request of ``size`` bytes whose data is many small arrays: the costliest to parse."""
    head, tail = '{"request":true,"id":7,"method":"getPeers","data":{"k":[', "]}}"
    items = "[]," * ((size - len(head) - len(tail)) // 3)
    return head + items[:-1] + tail


async def closed_with(socket: Socket) -> int | None:
    async with asyncio.timeout(20):
        await socket.connection.wait_closed()
    await socket.peer.close()
    return socket.connection.close_code


async def in_a_call(
    consultation: Consultation, participant: Callable[[], Participant]
) -> tuple[Participant, Socket, Participant, Socket]:
    doctor, patient = participant(), participant()
    await doctor.open(consultation.link("medecin"))
    await patient.open(consultation.link("patient"))
    return doctor, await doctor.socket(), patient, await patient.socket()


async def test_frames_over_the_cap_close_the_socket_unparsed(
    server: RunningServer, consultation: Consultation, participant: Callable[[], Participant]
):
    _, doctor_socket, _, patient_socket = await in_a_call(consultation, participant)
    waiting = participant()
    await waiting.open(consultation.link("patient"))
    waiting_socket = await waiting.socket()
    # Another consultation, whose requests go on being answered.
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        other = await create_consultation(http, server.operator_key)
    _, other_socket, _, _ = await in_a_call(other, participant)

    # The waiting room's cap is 4 KiB, an admitted socket's 64 KiB by default; beyond 1 MiB,
    # Hypercorn closes the socket itself without buffering more.
    await waiting_socket.connection.send(nested_request(5 * 1024))
    await patient_socket.connection.send(nested_request(100 * 1024))
    assert await closed_with(waiting_socket) == CLOSE_TOO_BIG
    assert await closed_with(patient_socket) == CLOSE_TOO_BIG
    log = server.log()
    assert len(re.findall(r"sent a frame of \d+ bytes, over its 4096: closed", log)) == 1
    assert len(re.findall(r"sent a frame of \d+ bytes, over its 65536: closed", log)) == 1

    guest_socket = await _guest(consultation, participant)
    await guest_socket.connection.send(nested_request(HUGE))
    asked = asyncio.create_task(other_socket.request("getPeers"))
    assert await closed_with(guest_socket) == CLOSE_TOO_BIG
    assert (await asked)["ok"]
    assert (await doctor_socket.request("getPeers"))["ok"]
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        assert (await http.get("/healthz")).status_code == 200


async def _guest(consultation: Consultation, participant: Callable[[], Participant]) -> Socket:
    """An admitted socket: the guest's, on the first use of its link."""
    guest = participant()
    await guest.open(consultation.link("guest"))
    return await guest.socket()


async def test_the_largest_legitimate_message_fits(
    consultation: Consultation, participant: Callable[[], Participant]
):
    """A chat message of the longest length, every character escaped as JSON may escape it
    (a surrogate pair for each emoji, 12 bytes): under the admitted cap, and delivered."""
    _, doctor_socket, _, patient_socket = await in_a_call(consultation, participant)
    text = "\U0001f600" * 4000  # message_max_chars' default
    frame = json.dumps({"request": True, "id": 3, "method": "sendMessage", "data": {"text": text}})
    assert len(frame) > 48_000
    answer = await patient_socket.peer.exchange("sendMessage", {"text": text})
    assert answer.ok, answer
    assert (await doctor_socket.event("newMessage"))["message"]["body"] == text


async def test_frames_faster_than_the_session_s_budget_close_its_sockets(
    server: RunningServer, consultation: Consultation, participant: Callable[[], Participant]
):
    """Frames under the cap, but more than the budget's burst (512 KiB) at once: the socket is
    closed with 1008, and a new socket of the same session finds the budget spent."""
    _, doctor_socket, patient, patient_socket = await in_a_call(consultation, participant)
    frame = nested_request(60 * 1024)
    for _ in range(12):
        await patient_socket.connection.send(frame)
    assert await closed_with(patient_socket) == CLOSE_POLICY
    again = await patient.socket()
    await again.connection.send(frame)
    assert await closed_with(again) == CLOSE_POLICY
    assert re.search(r"socket \d+ sent frames faster than its budget: closed", server.log())
    # The others are served, small frames of the same session too once the budget refills.
    assert (await doctor_socket.request("getPeers"))["ok"]


@pytest.fixture
def thrifty_server(database_url: str, tmp_path: Path) -> Iterator[RunningServer]:
    with hocovisio(database_url, tmp_path, {"HOCOVISIO_RATE_LIMIT_SOCKET_OPENS": "5"}) as running:
        yield running


async def test_a_session_reconnecting_in_a_loop_is_held_back(thrifty_server: RunningServer):
    async with httpx.AsyncClient(base_url=thrifty_server.base_url) as http:
        consultation = await create_consultation(http, thrifty_server.operator_key)
    doctor = Participant(thrifty_server.base_url, thrifty_server.ws_url)
    other = Participant(thrifty_server.base_url, thrifty_server.ws_url)
    try:
        await doctor.open(consultation.link("medecin"))
        await other.open(consultation.link("patient"))
        for _ in range(5):
            await (await doctor.socket()).close()
        with pytest.raises(websockets.InvalidStatus) as held:
            await doctor.socket()
        assert held.value.response.status_code == 429
        assert (await other.socket()).connection.state.name == "OPEN"  # another session
    finally:
        await doctor.close()
        await other.close()
