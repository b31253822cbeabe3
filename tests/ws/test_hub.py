import json
from collections.abc import Callable

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.client import Consultation, Participant
from tests.server import RunningServer


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer forged"}])
async def test_socket_needs_a_live_credential(server: RunningServer, headers: dict[str, str]):
    with pytest.raises(InvalidStatus) as refused:
        await connect(server.ws_url, additional_headers=headers)
    assert refused.value.response.status_code == 401


async def test_socket_accepts_the_session_cookie(
    server: RunningServer, consultation: Consultation, participant: Callable[[], Participant]
):
    doctor = participant()
    await doctor.open(consultation.link("medecin"))
    cookie = f"hocovisio_session={doctor.credential}"
    async with connect(server.ws_url, additional_headers={"Cookie": cookie}) as socket:
        await socket.send(json.dumps({"request": True, "id": 1, "method": "getPeers", "data": {}}))
        answer = json.loads(await socket.recv())
        assert answer == {"response": True, "id": 1, "ok": True, "data": {"peers": []}}


async def test_presence(consultation: Consultation, participant: Callable[[], Participant]):
    doctor, patient = participant(), participant()
    await doctor.open(consultation.link("medecin"))
    await patient.open(consultation.link("patient"))
    doctor_socket = await doctor.socket()
    patient_socket = await patient.socket()
    patient_id = patient.session["id"]
    assert await doctor_socket.event("peerJoined") == {"peerId": patient_id, "role": "patient"}
    peers = await patient_socket.request("getPeers")
    assert peers["data"]["peers"] == [{"id": doctor.session["id"], "role": "medecin"}]
    await patient_socket.close()
    assert await doctor_socket.event("peerLeft") == {"peerId": patient_id}


async def test_bad_frames_get_clear_errors(
    consultation: Consultation, participant: Callable[[], Participant]
):
    doctor = participant()
    await doctor.open(consultation.link("medecin"))
    socket = await doctor.socket()
    unknown = await socket.request("noSuchMethod")
    assert unknown["ok"] is False
    assert unknown["errorReason"] == "unknown method 'noSuchMethod'"
    # As long as an admitted socket's frame may be (its cap: tests/ws/test_frame_limits.py).
    huge = await socket.request("x" * 60_000)
    assert huge["errorReason"] == f"unknown method '{'x' * 64}…'"
    for frame in ("not json", "[]", '{"request": true}'):
        await socket.connection.send(frame)
    await socket.request("getPeers")  # still served
    errors = [f for f in socket.notifications if f.get("response") and f["ok"] is False]
    assert [e["errorReason"] for e in errors] == [
        "invalid JSON: Expecting value: line 1 column 1 (char 0)",
        "frame is not a JSON object",
        "frame has no integer id",
    ]


async def test_a_bad_request_whose_id_is_read_is_answered_under_it(
    server: RunningServer, consultation: Consultation, participant: Callable[[], Participant]
):
    """Its caller waits for that id: an answer under id null would leave it waiting."""
    doctor = participant()
    await doctor.open(consultation.link("medecin"))
    headers = {"Authorization": f"Bearer {doctor.credential}"}
    async with connect(server.ws_url, additional_headers=headers) as raw:
        for frame in (
            '{"request": true, "id": 5}',
            '{"request": true, "id": 6, "method": 7}',
            '{"request": true, "id": 7, "method": "getPeers", "data": null}',
            '{"request": true, "id": 8, "method": "join", "data": []}',
        ):
            await raw.send(frame)
        answers = [json.loads(await raw.recv()) for _ in range(4)]
    assert [(a["id"], a["ok"], a["errorReason"]) for a in answers] == [
        (5, False, "request has no method"),
        (6, False, "request has no method"),
        (7, False, "request data is not an object"),
        (8, False, "request data is not an object"),
    ]
