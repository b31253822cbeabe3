from collections.abc import Callable

import psycopg

from tests.client import Consultation, Participant


async def joined(
    consultation: Consultation, participant: Callable[[], Participant], role: str
) -> Participant:
    client = participant()
    assert (await client.open(consultation.link(role))).status_code == 200
    return client


async def test_send_message_over_the_socket(
    consultation: Consultation, participant: Callable[[], Participant], db: psycopg.Connection
):
    doctor = await joined(consultation, participant, "medecin")
    patient = await joined(consultation, participant, "patient")
    guest = await joined(consultation, participant, "guest")
    doctor_socket, patient_socket = await doctor.socket(), await patient.socket()
    guest_socket = await guest.socket()

    answer = await doctor_socket.request("sendMessage", {"text": "Bonjour <i>madame</i>"})
    assert answer["ok"] is True
    message = answer["data"]["message"]
    assert message["body"] == "Bonjour <i>madame</i>"
    assert message["session_id"] == consultation.sessions["medecin"]["id"]

    assert await patient_socket.event("newMessage") == {"message": message}
    assert await guest_socket.event("newMessage") == {"message": message}
    await doctor_socket.no_event("newMessage", wait=0.3)

    # A participant who reconnects finds it in the history.
    history = (await patient.http.get("/messages")).json()["messages"]
    assert history == [message]


async def test_bad_messages_over_the_socket_are_refused(
    consultation: Consultation, participant: Callable[[], Participant], db: psycopg.Connection
):
    patient = await joined(consultation, participant, "patient")
    socket = await patient.socket()
    for data in [{}, {"text": 3}, {"text": ""}, {"text": "x" * 4001}, {"text": "a\x00b"}]:
        answer = await socket.request("sendMessage", data)
        assert answer["ok"] is False
        assert answer["errorReason"]
    count = db.execute(
        "SELECT count(*) FROM message m JOIN onetoone o ON o.id = m.onetoone_id WHERE o.token = %s",
        (consultation.token,),
    ).fetchone()
    assert count == (0,)


async def test_a_pending_socket_cannot_send(
    consultation: Consultation, participant: Callable[[], Participant]
):
    await joined(consultation, participant, "patient")
    newcomer = await joined(consultation, participant, "patient")
    socket = await newcomer.socket()
    answer = await socket.request("sendMessage", {"text": "let me in"})
    assert answer["ok"] is False
    assert "validation" in answer["errorReason"]
