import asyncio
from collections.abc import Callable

import httpx
import psycopg
import pytest

from tests.client import Consultation, Participant, create_consultation
from tests.server import RunningServer


def session_row(db: psycopg.Connection, session_id: int) -> tuple[int, int]:
    return db.execute(
        "SELECT token_onetime_used, validate_fromadmin FROM session WHERE id = %s", (session_id,)
    ).fetchone()


@pytest.mark.parametrize(
    "link",
    [
        "/session/nope/nope",
        "/session/{ot}/nope",
        "/session/nope/{patient}",
        "/session/{ot}/{other}",
    ],
)
async def test_unknown_pairs_are_not_valid(
    server: RunningServer, http: httpx.AsyncClient, consultation: Consultation, link: str
):
    other = await create_consultation(http, server.operator_key)
    url = link.format(
        ot=consultation.token,
        patient=consultation.sessions["patient"]["token"],
        other=other.sessions["patient"]["token"],
    )
    response = await http.get(url)
    assert response.status_code == 401
    assert response.json() == {"msg": "session not valid"}
    assert "set-cookie" not in response.headers


async def test_doctor_opens_its_link_as_often_as_it_likes(
    consultation: Consultation, participant: Callable[[], Participant]
):
    for _ in range(2):
        doctor = participant()
        response = await doctor.open(consultation.link("medecin"))
        assert response.status_code == 200
        session = response.json()["session"]
        assert session["role"] == "medecin"
        assert session["id"] == consultation.sessions["medecin"]["id"]
        assert session["credential"]
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(f"hocovisio_session={session['credential']};")
        assert "HttpOnly" in cookie


async def test_patient_first_use_logs_the_client_in(
    consultation: Consultation, participant: Callable[[], Participant], db: psycopg.Connection
):
    patient = participant()
    response = await patient.open(consultation.link("patient"))
    assert response.status_code == 200
    session = response.json()["session"]
    assert session["id"] == consultation.sessions["patient"]["id"]
    assert session["token_onetime_used"] == 1
    assert session["validate_fromadmin"] == 1
    assert session_row(db, session["id"]) == (1, 1)

    # The same client opening the link again (by its cookie) gets its session back.
    again = await patient.open(consultation.link("patient"))
    assert again.status_code == 200
    assert again.json()["session"]["id"] == session["id"]
    assert "credential" not in again.json()["session"]
    pending = db.execute(
        "SELECT count(*) FROM session WHERE reopened_from_id = %s", (session["id"],)
    ).fetchone()
    assert pending == (0,)


async def test_two_clients_racing_on_a_fresh_link_get_one_first_use(
    consultation: Consultation, participant: Callable[[], Participant]
):
    clients = [participant() for _ in range(4)]
    responses = await asyncio.gather(*(c.open(consultation.link("patient")) for c in clients))
    sessions = [r.json()["session"] for r in responses]
    first_uses = [s for s in sessions if s["validate_fromadmin"] == 1]
    assert len(first_uses) == 1
    assert first_uses[0]["id"] == consultation.sessions["patient"]["id"]
    assert all(s["validate_fromadmin"] == 0 for s in sessions if s is not first_uses[0])


async def test_waiting_room_round_trip(
    consultation: Consultation, participant: Callable[[], Participant], db: psycopg.Connection
):
    doctor, patient, newcomer = participant(), participant(), participant()
    await doctor.open(consultation.link("medecin"))
    await patient.open(consultation.link("patient"))
    doctor_socket = await doctor.socket()

    # The link is re-opened by a client that is not logged in: a new pending session.
    response = await newcomer.open(consultation.link("patient"))
    assert response.status_code == 200
    pending = response.json()["session"]
    assert pending["id"] != consultation.sessions["patient"]["id"]
    assert pending["role"] == "patient"
    assert pending["token_onetime_used"] == 0
    assert pending["validate_fromadmin"] == 0
    assert pending["credential"]

    announced = await doctor_socket.event("newSessionToValidate")
    assert announced["session"]["id"] == pending["id"]
    assert "credential" not in announced["session"]

    # While pending: no form, no requests, no events of the consultation.
    waiting = await newcomer.socket()
    refused = await newcomer.http.post("/session/infos", json={"data": {"x": 1}})
    assert refused.status_code == 403
    answer = await waiting.request("getPeers")
    assert answer["ok"] is False and "validation" in answer["errorReason"]
    await patient.http.post("/session/infos", json={"data": {"allergies": "none"}})
    await waiting.no_event("infoUpdate", wait=0.3)
    # Re-opening the link again from the waiting room keeps the same pending session.
    again = await newcomer.open(consultation.link("patient"))
    assert again.json()["session"]["id"] == pending["id"]

    # The doctor admits it.
    validated = await doctor.http.post("/validate", json={"sessionId": pending["id"]})
    assert validated.status_code == 200
    assert validated.json() == {"success": pending["id"]}
    admitted = await waiting.event("newSessionIsValidate")
    assert admitted["session"]["id"] == pending["id"]
    assert admitted["session"]["validate_fromadmin"] == 1
    assert session_row(db, pending["id"]) == (1, 1)
    joined = await doctor_socket.event("peerJoined")
    assert joined == {"peerId": pending["id"], "role": "patient"}

    # Now a participant like the others.
    await doctor.http.post("/session/infos", json={"data": {"diagnosis": "otitis"}})
    assert (await waiting.event("infoUpdate"))["data"] == {"diagnosis": "otitis"}
    assert (await waiting.request("getPeers"))["ok"] is True
    events = [
        e
        for (e,) in db.execute(
            "SELECT event FROM stats WHERE session_id = %s ORDER BY id", (pending["id"],)
        ).fetchall()
    ]
    assert events == ["pending", "reopened", "validated"]


async def test_a_doctor_who_connects_later_is_told_who_is_already_waiting(
    consultation: Consultation, participant: Callable[[], Participant]
):
    doctor, patient, newcomer = participant(), participant(), participant()
    await doctor.open(consultation.link("medecin"))
    await patient.open(consultation.link("patient"))
    pending = (await newcomer.open(consultation.link("patient"))).json()["session"]

    # Nobody's socket was open when the link was re-opened; the doctor connects afterwards.
    doctor_socket = await doctor.socket()
    announced = await doctor_socket.event("newSessionToValidate")
    assert announced["session"]["id"] == pending["id"]
    assert announced["session"]["validate_fromadmin"] == 0
    assert "credential" not in announced["session"]
    patient_socket = await patient.socket()
    await patient_socket.no_event("newSessionToValidate", wait=0.3)

    # Once admitted, nobody is waiting: the doctor's next socket is told nothing.
    assert (await doctor.http.post("/validate", json={"sessionId": pending["id"]})).is_success
    await doctor_socket.close()
    again = await doctor.socket()
    await again.no_event("newSessionToValidate", wait=0.5)


async def test_validate_refusals(
    server: RunningServer,
    http: httpx.AsyncClient,
    consultation: Consultation,
    participant: Callable[[], Participant],
    db: psycopg.Connection,
):
    doctor, patient, newcomer = participant(), participant(), participant()
    await doctor.open(consultation.link("medecin"))
    await patient.open(consultation.link("patient"))
    pending = (await newcomer.open(consultation.link("patient"))).json()["session"]
    other = await create_consultation(http, server.operator_key)
    other_doctor = participant()
    await other_doctor.open(other.link("medecin"))

    cases = [
        (patient, {"sessionId": pending["id"]}, 403),
        (other_doctor, {"sessionId": pending["id"]}, 403),
        (newcomer, {"sessionId": pending["id"]}, 403),
        (doctor, {"sessionId": 10**9}, 404),
        (doctor, {"sessionId": str(pending["id"])}, 400),
        (doctor, {"sessionId": True}, 400),
        (doctor, {}, 400),
        (doctor, [pending["id"]], 400),
    ]
    for client, body, status in cases:
        response = await client.http.post("/validate", json=body)
        assert response.status_code == status, (body, response.text)
        assert isinstance(response.json()["msg"], str)
    malformed = await doctor.http.post(
        "/validate", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    assert "msg" in malformed.json()
    anonymous = await http.post("/validate", json={"sessionId": pending["id"]})
    assert anonymous.status_code == 401
    assert session_row(db, pending["id"]) == (0, 0)


async def test_validating_twice_is_harmless(
    consultation: Consultation, participant: Callable[[], Participant]
):
    doctor, patient, newcomer = participant(), participant(), participant()
    await doctor.open(consultation.link("medecin"))
    await patient.open(consultation.link("patient"))
    pending = (await newcomer.open(consultation.link("patient"))).json()["session"]
    socket = await newcomer.socket()
    for _ in range(2):
        response = await doctor.http.post("/validate", json={"sessionId": pending["id"]})
        assert response.json() == {"success": pending["id"]}
    await socket.event("newSessionIsValidate")
    await socket.no_event("newSessionIsValidate", wait=0.3)
