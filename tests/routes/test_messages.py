from collections.abc import Callable

import httpx
import psycopg
import pytest

from tests.client import Consultation, Participant, create_consultation
from tests.server import RunningServer

PDF = b"%PDF-1.7\n%%EOF\n"


def stored(db: psycopg.Connection, consultation: Consultation) -> list[tuple[str, str]]:
    return db.execute(
        "SELECT m.kind, m.body FROM message m JOIN onetoone o ON o.id = m.onetoone_id"
        " WHERE o.token = %s ORDER BY m.id",
        (consultation.token,),
    ).fetchall()


async def joined(
    consultation: Consultation, participant: Callable[[], Participant], role: str
) -> Participant:
    client = participant()
    assert (await client.open(consultation.link(role))).status_code == 200
    return client


async def test_a_message_reaches_the_others_as_sent(
    consultation: Consultation, participant: Callable[[], Participant], db: psycopg.Connection
):
    doctor = await joined(consultation, participant, "medecin")
    patient = await joined(consultation, participant, "patient")
    doctor_socket, patient_socket = await doctor.socket(), await patient.socket()
    text = "<b>J'ai mal</b> & <script>alert(1)</script> \u202e 🤒\n2e ligne"

    response = await patient.http.post("/message", json={"text": text})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    message = response.json()["message"]
    assert message["body"] == text
    assert message["kind"] == "text"
    assert message["session_id"] == consultation.sessions["patient"]["id"]
    assert message["document"] is None

    assert await doctor_socket.event("newMessage") == {"message": message}
    await patient_socket.no_event("newMessage", wait=0.3)
    assert stored(db, consultation) == [("text", text)]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"text": ""}, 400),
        ({"text": "  \n\t"}, 400),
        ({"text": "nul \x00 inside"}, 400),
        ({"text": 42}, 400),
        ({}, 400),
        ({"text": "x" * 4001}, 413),
    ],
)
async def test_bad_messages_are_refused(
    consultation: Consultation,
    participant: Callable[[], Participant],
    db: psycopg.Connection,
    body: dict,
    status: int,
):
    patient = await joined(consultation, participant, "patient")
    response = await patient.http.post("/message", json=body)
    assert response.status_code == status
    assert response.json()["msg"]
    assert stored(db, consultation) == []


async def test_the_longest_message_is_accepted(
    consultation: Consultation, participant: Callable[[], Participant]
):
    patient = await joined(consultation, participant, "patient")
    response = await patient.http.post("/message", json={"text": "é" * 4000})
    assert response.status_code == 200


async def test_only_live_participants_may_post_or_read(
    consultation: Consultation,
    participant: Callable[[], Participant],
    http: httpx.AsyncClient,
    db: psycopg.Connection,
):
    assert (await http.post("/message", json={"text": "hi"})).status_code == 401
    assert (await http.get("/messages")).status_code == 401
    await joined(consultation, participant, "patient")
    newcomer = await joined(consultation, participant, "patient")
    assert (await newcomer.http.post("/message", json={"text": "hi"})).status_code == 403
    assert (await newcomer.http.get("/messages")).status_code == 403
    assert stored(db, consultation) == []


async def test_history_pages_from_the_newest(
    consultation: Consultation, participant: Callable[[], Participant]
):
    doctor = await joined(consultation, participant, "medecin")
    patient = await joined(consultation, participant, "patient")
    for i in range(5):
        sender = doctor if i % 2 else patient
        assert (await sender.http.post("/message", json={"text": f"m{i}"})).status_code == 200
    upload = await patient.http.post("/upload-file", files={"document": ("r.pdf", PDF)})
    assert upload.status_code == 200
    for i in range(5, 7):
        assert (await doctor.http.post("/message", json={"text": f"m{i}"})).status_code == 200

    everything = (await patient.http.get("/messages")).json()
    assert everything["more"] is False
    bodies = [m["body"] for m in everything["messages"]]
    assert bodies == ["m0", "m1", "m2", "m3", "m4", "r.pdf", "m5", "m6"]
    ids = [m["id"] for m in everything["messages"]]
    assert ids == sorted(ids)
    document_message = everything["messages"][5]
    assert document_message["kind"] == "document"
    assert document_message["document"] == upload.json()["document"]

    newest = (await doctor.http.get("/messages", params={"limit": 3})).json()
    assert [m["body"] for m in newest["messages"]] == ["r.pdf", "m5", "m6"]
    assert newest["more"] is True
    older = (
        await doctor.http.get(
            "/messages", params={"limit": 3, "before": newest["messages"][0]["id"]}
        )
    ).json()
    assert [m["body"] for m in older["messages"]] == ["m2", "m3", "m4"]
    assert older["more"] is True
    oldest = (
        await doctor.http.get(
            "/messages", params={"limit": 3, "before": older["messages"][0]["id"]}
        )
    ).json()
    assert [m["body"] for m in oldest["messages"]] == ["m0", "m1"]
    assert oldest["more"] is False


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 201}, {"limit": "many"}, {"before": 0}, {"before": "x"}]
)
async def test_bad_history_queries_are_refused(
    consultation: Consultation, participant: Callable[[], Participant], params: dict
):
    patient = await joined(consultation, participant, "patient")
    response = await patient.http.get("/messages", params=params)
    assert response.status_code == 400
    assert response.json()["msg"]


async def test_history_is_the_consultations_own(
    server: RunningServer,
    consultation: Consultation,
    participant: Callable[[], Participant],
    http: httpx.AsyncClient,
):
    patient = await joined(consultation, participant, "patient")
    assert (await patient.http.post("/message", json={"text": "secret"})).status_code == 200
    other = await create_consultation(http, server.operator_key)
    stranger = await joined(other, participant, "medecin")
    assert (await stranger.http.get("/messages")).json() == {"messages": [], "more": False}


async def test_ending_the_consultation_removes_its_messages(
    server: RunningServer,
    consultation: Consultation,
    participant: Callable[[], Participant],
    db: psycopg.Connection,
):
    patient = await joined(consultation, participant, "patient")
    assert (await patient.http.post("/message", json={"text": "bye"})).status_code == 200
    ended = await patient.http.delete(
        f"/onetoone/{consultation.token}",
        headers={"Authorization": f"Bearer {server.operator_key}"},
    )
    assert ended.status_code == 200
    assert stored(db, consultation) == []
    assert (await patient.http.post("/message", json={"text": "again"})).status_code == 401
