"""The waiting room as the doctor runs it: which device waits and since when, Refuse, and
Admit that replaces the device that held the link (or keeps both), through the real server."""

import asyncio
from collections.abc import Callable

import psycopg

from tests.client import Consultation, Participant, Socket
from tests.server import RunningServer

PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/131.0.0.0 Mobile Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like"
    " Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)


async def closed_with(socket: Socket) -> int | None:
    async with asyncio.timeout(5):
        await socket.connection.wait_closed()
    return socket.connection.close_code


async def waiting_room(
    consultation: Consultation, participant: Callable[[], Participant]
) -> tuple[Participant, Socket, Participant, Socket, Participant]:
    """The doctor's and the patient's sockets, and a phone that opened the patient's link
    again: waiting."""
    doctor, patient, phone = participant(), participant(), participant()
    await doctor.open(consultation.link("medecin"))
    await patient.open(consultation.link("patient"))
    doctor_socket, patient_socket = await doctor.socket(), await patient.socket()
    phone.http.headers["User-Agent"] = PHONE
    await phone.open(consultation.link("patient"))
    assert phone.session["validate_fromadmin"] == 0
    return doctor, doctor_socket, patient, patient_socket, phone


async def test_the_doctor_sees_which_device_waits_and_since_when(
    consultation: Consultation, participant: Callable[[], Participant]
):
    doctor, doctor_socket, _, _, phone = await waiting_room(consultation, participant)
    announced = (await doctor_socket.event("newSessionToValidate"))["session"]
    assert announced["device_hint"] == "Chrome on Android (Pixel 8)"
    assert announced["created_at"] == phone.session["created_at"]
    assert phone.session["device_hint"] == "Chrome on Android (Pixel 8)"
    # A second device on the same link, and the doctor's next socket told of both.
    tablet = participant()
    tablet.http.headers["User-Agent"] = IPHONE
    await tablet.open(consultation.link("patient"))
    again = await doctor.socket()
    replayed = [e["session"] for e in await again.events("newSessionToValidate", 2)]
    assert [(s["id"], s["device_hint"]) for s in replayed] == [
        (phone.session["id"], "Chrome on Android (Pixel 8)"),
        (tablet.session["id"], "Safari on iPhone"),
    ]
    # What the doctor sees of the device is the hint: the User-Agent is not kept.
    unknown = participant()
    unknown.http.headers["User-Agent"] = "curl/8 " + "x" * 3000
    assert (await unknown.open(consultation.link("patient"))).json()["session"][
        "device_hint"
    ] is None


async def test_refuse_tells_the_device_and_logs_it_out(
    consultation: Consultation, participant: Callable[[], Participant], db: psycopg.Connection
):
    doctor, doctor_socket, patient, patient_socket, phone = await waiting_room(
        consultation, participant
    )
    phone_socket = await phone.socket()
    refused = await doctor.http.post("/refuse", json={"sessionId": phone.session["id"]})
    assert refused.status_code == 200 and refused.json() == {"refused": phone.session["id"]}
    assert await phone_socket.event("sessionRefused") == {"sessionId": phone.session["id"]}
    assert await closed_with(phone_socket) == 4003
    assert await doctor_socket.event("sessionRefused") == {"sessionId": phone.session["id"]}
    await patient_socket.no_event("sessionRefused", wait=0.2)

    # Logged out: its login is gone, and it is never admitted.
    assert (await phone.http.get("/session/infos")).status_code == 401
    again = await doctor.http.post("/validate", json={"sessionId": phone.session["id"]})
    assert again.status_code == 409 and again.json() == {"msg": "that session was refused"}
    twice = await doctor.http.post("/refuse", json={"sessionId": phone.session["id"]})
    assert twice.status_code == 200
    (refused_at,) = db.execute(
        "SELECT refused_at FROM session WHERE id = %s", (phone.session["id"],)
    ).fetchone()
    assert refused_at is not None
    # Out of the waiting room: the doctor's next socket is told of nobody.
    later = await doctor.socket()
    await later.no_event("newSessionToValidate", wait=0.5)
    # The link opened once more from the phone: refused again, and the doctor not rung; another
    # device is the next the doctor hears of.
    again = await phone.open(consultation.link("patient"))
    assert again.status_code == 403
    assert again.json() == {"msg": "the doctor did not let this device in"}
    other = participant()
    reopened = (await other.open(consultation.link("patient"))).json()["session"]
    assert reopened["validate_fromadmin"] == 0
    assert (await later.event("newSessionToValidate"))["session"]["id"] == reopened["id"]
    assert (await patient.http.get("/session/infos")).status_code == 200


async def test_refusals_of_refuse(
    consultation: Consultation, participant: Callable[[], Participant]
):
    doctor, _, patient, _, phone = await waiting_room(consultation, participant)
    cases = [
        (patient, {"sessionId": phone.session["id"]}, 403),
        (phone, {"sessionId": phone.session["id"]}, 403),
        (doctor, {"sessionId": 10**9}, 404),
        (doctor, {"sessionId": patient.session["id"]}, 409),
        (doctor, {"sessionId": 2**70}, 400),
        (doctor, {"sessionId": "1"}, 400),
        (doctor, {}, 400),
    ]
    for client, body, status in cases:
        response = await client.http.post("/refuse", json=body)
        assert response.status_code == status, (body, response.text)
        assert isinstance(response.json()["msg"], str)
    for body in ({"sessionId": phone.session["id"], "replace": "yes"}, [1]):
        assert (await doctor.http.post("/validate", json=body)).status_code == 400


async def test_admit_replaces_the_device_that_held_the_link(
    server: RunningServer, consultation: Consultation, participant: Callable[[], Participant]
):
    doctor, doctor_socket, patient, patient_socket, phone = await waiting_room(
        consultation, participant
    )
    phone_socket = await phone.socket()
    admitted = await doctor.http.post("/validate", json={"sessionId": phone.session["id"]})
    assert admitted.status_code == 200
    assert await patient_socket.event("sessionReplaced") == {
        "sessionId": patient.session["id"],
        "by": phone.session["id"],
    }
    assert await closed_with(patient_socket) == 4002
    assert await doctor_socket.event("peerLeft") == {"peerId": patient.session["id"]}
    assert (await patient.http.get("/session/infos")).status_code == 401
    # The phone carries on as the patient.
    await phone_socket.event("newSessionIsValidate")
    assert (await phone_socket.request("getPeers"))["ok"]
    assert (await phone.http.get("/session/infos")).status_code == 200
    await phone_socket.no_event("sessionReplaced", wait=0.2)
    # Logging devices out and in leaves no link token or credential in the log.
    log = server.log()
    for secret in (consultation.token, patient.credential, phone.credential):
        assert secret not in log
    for session in (patient.session, phone.session):
        assert session["token"] not in log


async def test_admit_without_replace_keeps_both(
    consultation: Consultation, participant: Callable[[], Participant]
):
    doctor, _, patient, patient_socket, phone = await waiting_room(consultation, participant)
    body = {"sessionId": phone.session["id"], "replace": False}
    assert (await doctor.http.post("/validate", json=body)).status_code == 200
    await patient_socket.no_event("sessionReplaced", wait=0.5)
    assert (await patient_socket.request("getPeers"))["ok"]
    assert (await patient.http.get("/session/infos")).status_code == 200
    assert (await phone.http.get("/session/infos")).status_code == 200


async def test_admit_and_refuse_racing_on_one_session(
    consultation: Consultation, participant: Callable[[], Participant]
):
    """Ten admissions and ten refusals at once: one decision, and the others say which."""
    doctor, _, _, _, phone = await waiting_room(consultation, participant)
    phone_socket = await phone.socket()
    body = {"sessionId": phone.session["id"]}
    answers = await asyncio.gather(
        *(doctor.http.post(path, json=body) for path in ("/validate", "/refuse") * 10)
    )
    admits = {a.status_code for a in answers[0::2]}
    refusals = {a.status_code for a in answers[1::2]}
    assert (admits, refusals) in (({200}, {409}), ({409}, {200})), (admits, refusals)
    decided = "newSessionIsValidate" if admits == {200} else "sessionRefused"
    await phone_socket.event(decided)
    await asyncio.sleep(0.3)
    decisions = ("newSessionIsValidate", "sessionRefused")
    told = [f["method"] for f in phone_socket.notifications if f.get("method") in decisions]
    assert told == [], told


async def test_a_client_who_leaves_drops_off_the_doctors_list(
    consultation: Consultation, participant: Callable[[], Participant]
):
    doctor, doctor_socket, patient, _, phone = await waiting_room(consultation, participant)
    await doctor_socket.event("newSessionToValidate")
    left = await phone.http.post("/session/leave")
    assert left.status_code == 200 and left.json() == {"left": phone.session["id"]}
    assert await doctor_socket.event("waitingRoomLeft") == {"sessionId": phone.session["id"]}
    assert (await phone.http.post("/session/leave")).status_code == 401  # logged out
    admitted = await doctor.http.post("/validate", json={"sessionId": phone.session["id"]})
    assert admitted.status_code == 409
    assert admitted.json() == {"msg": "that client left the waiting room"}
    assert (await doctor.http.post("/refuse", json={"sessionId": phone.session["id"]})).is_success
    later = await doctor.socket()
    await later.no_event("newSessionToValidate", wait=0.5)
    # Only a client in the waiting room may leave it.
    in_room = await patient.http.post("/session/leave")
    assert in_room.status_code == 409
    assert in_room.json() == {"msg": "only a client in the waiting room can leave it"}
