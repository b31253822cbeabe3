"""A busy consultation: many requests at once on the same consultation, socket and rows.

Before, concurrent chat deadlocked in PostgreSQL (the activity time was updated under a
shared lock of the consultation's row) and most requests answered 500.
"""

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import psycopg

from tests.client import Consultation, Participant, Socket, create_consultation
from tests.routes.test_documents import PDF, joined, rows, upload
from tests.server import RunningServer

MESSAGES_PER_SIDE = 25


async def texts_received(socket: Socket, count: int) -> list[dict[str, Any]]:
    return [data["message"] for data in await socket.events("newMessage", count)]


async def status(call: Any) -> int:
    """The status of an awaited request."""
    return (await call).status_code


async def test_fifty_concurrent_messages_from_both_sides_are_all_stored_and_delivered_in_order(
    consultation: Consultation, participant: Callable[[], Participant], db: psycopg.Connection
):
    doctor = await joined(consultation, participant, "medecin")
    patient = await joined(consultation, participant, "patient")
    guest = await joined(consultation, participant, "guest")
    doctor_socket, patient_socket, guest_socket = [
        await p.socket() for p in (doctor, patient, guest)
    ]

    async def over_http(sender: Participant, index: int) -> int:
        response = await sender.http.post("/message", json={"text": f"http {index}"})
        assert response.status_code == 200, response.text
        return response.json()["message"]["id"]

    async def over_socket(socket: Socket, index: int) -> int:
        answer = await socket.request("sendMessage", {"text": f"socket {index}"})
        assert answer["ok"], answer
        return answer["data"]["message"]["id"]

    sends = [
        *(over_http(doctor, i) for i in range(0, MESSAGES_PER_SIDE, 2)),
        *(over_socket(doctor_socket, i) for i in range(1, MESSAGES_PER_SIDE, 2)),
        *(over_http(patient, i) for i in range(0, MESSAGES_PER_SIDE, 2)),
        *(over_socket(patient_socket, i) for i in range(1, MESSAGES_PER_SIDE, 2)),
    ]
    ids = await asyncio.gather(*sends)
    assert len(set(ids)) == 2 * MESSAGES_PER_SIDE

    onetoone_id = db.execute(
        "SELECT id FROM onetoone WHERE token = %s", (consultation.token,)
    ).fetchone()[0]
    stored = [
        row[0]
        for row in db.execute(
            "SELECT id FROM message WHERE onetoone_id = %s ORDER BY id", (onetoone_id,)
        )
    ]
    assert stored == sorted(ids)

    # The guest sent nothing: it gets every message, in the order of the ids.
    seen = [m["id"] for m in await texts_received(guest_socket, len(ids))]
    assert seen == sorted(ids)
    # Each side gets all of the other's, in order too.
    doctor_ids, patient_ids = set(ids[:MESSAGES_PER_SIDE]), set(ids[MESSAGES_PER_SIDE:])
    assert [m["id"] for m in await texts_received(doctor_socket, MESSAGES_PER_SIDE)] == sorted(
        patient_ids
    )
    assert [m["id"] for m in await texts_received(patient_socket, MESSAGES_PER_SIDE)] == sorted(
        doctor_ids
    )


async def test_thirty_concurrent_messages_on_one_socket_all_succeed(
    consultation: Consultation, participant: Callable[[], Participant]
):
    patient = await joined(consultation, participant, "patient")
    socket = await patient.socket()
    answers = await asyncio.gather(
        *(socket.request("sendMessage", {"text": f"m{i}"}) for i in range(30))
    )
    assert [a["ok"] for a in answers] == [True] * 30, [a for a in answers if not a["ok"]]
    page = (await patient.http.get("/messages?limit=50")).json()
    assert sorted(m["body"] for m in page["messages"]) == sorted(f"m{i}" for i in range(30))


async def test_every_kind_of_write_at_once_on_one_consultation_succeeds(
    consultation: Consultation, participant: Callable[[], Participant]
):
    doctor = await joined(consultation, participant, "medecin")
    patient = await joined(consultation, participant, "patient")
    sockets = [await doctor.socket(), await patient.socket()]

    calls = []
    for i in range(8):
        for who in (doctor, patient):
            calls.append(status(who.http.post("/message", json={"text": f"t{i}"})))
            calls.append(status(who.http.post("/session/infos", json={"data": {f"f{i}": i}})))
            calls.append(status(who.http.get("/session/infos")))
        calls.append(status(upload(patient, PDF)))
        calls.append(status(participant().http.get(consultation.link("medecin"))))
        calls.append(status(participant().http.get(consultation.link("patient"))))
    statuses = await asyncio.gather(*calls)
    assert set(statuses) == {200}, statuses
    form = (await doctor.http.get("/session/infos")).json()["data"]
    assert {f"f{i}" for i in range(8)} <= set(form)
    for socket in sockets:
        await socket.close()


async def test_a_form_cannot_grow_past_its_cap(
    consultation: Consultation, participant: Callable[[], Participant]
):
    """100 updates of 60 KB used to store a 6 MB form; the cap (256 KiB) answers 413."""
    patient = await joined(consultation, participant, "patient")
    statuses = []
    for i in range(8):
        answer = await patient.http.post(
            "/session/infos", json={"data": {f"notes{i}": "x" * 60_000}}
        )
        statuses.append(answer.status_code)
        if answer.status_code == 413:
            assert "larger than" in answer.json()["msg"]
    assert statuses == [200] * 4 + [413] * 4
    form = (await patient.http.get("/session/infos")).json()["data"]
    assert sorted(form) == [f"notes{i}" for i in range(4)]
    # Replacing a field by a smaller value is still possible at the cap.
    smaller = await patient.http.post("/session/infos", json={"data": {"notes0": "short"}})
    assert smaller.status_code == 200


async def test_concurrent_updates_cannot_together_pass_the_form_cap(
    consultation: Consultation, participant: Callable[[], Participant]
):
    doctor = await joined(consultation, participant, "medecin")
    patient = await joined(consultation, participant, "patient")
    answers = await asyncio.gather(
        *(
            who.http.post("/session/infos", json={"data": {f"{who is doctor}{i}": "y" * 60_000}})
            for i in range(5)
            for who in (doctor, patient)
        )
    )
    assert sorted(a.status_code for a in answers) == [200] * 4 + [413] * 6
    assert len((await doctor.http.get("/session/infos")).content) < 256 * 1024


async def test_chat_is_rate_limited_per_credential(
    consultation: Consultation, participant: Callable[[], Participant]
):
    """The default allows 60 a minute to each participant, HTTP and socket together."""
    patient = await joined(consultation, participant, "patient")
    socket = await patient.socket()
    sent = await asyncio.gather(
        *(patient.http.post("/message", json={"text": f"h{i}"}) for i in range(40))
    )
    assert {r.status_code for r in sent} == {200}
    answers = [await socket.request("sendMessage", {"text": f"s{i}"}) for i in range(30)]
    refused = [a for a in answers if not a["ok"]]
    assert refused and {a["errorReason"] for a in refused} == {"rate limited"}
    over = await patient.http.post("/message", json={"text": "one more"})
    assert over.status_code == 429 and over.headers["Retry-After"]
    # Another participant of the same consultation is not held back.
    doctor = await joined(consultation, participant, "medecin")
    assert (await doctor.http.post("/message", json={"text": "hello"})).status_code == 200


async def test_another_consultation_is_not_slowed_by_a_busy_one(
    consultation: Consultation,
    participant: Callable[[], Participant],
    http: httpx.AsyncClient,
    server: RunningServer,
):
    doctor = await joined(consultation, participant, "medecin")
    patient = await joined(consultation, participant, "patient")
    other = await joined(
        await create_consultation(http, server.operator_key), participant, "medecin"
    )
    busy = [
        who.http.post("/message", json={"text": f"b{i}"})
        for i in range(25)
        for who in (doctor, patient)
    ]

    async def timed_read() -> float:
        started = asyncio.get_running_loop().time()
        assert (await other.http.get("/session/infos")).status_code == 200
        return asyncio.get_running_loop().time() - started

    *statuses, elapsed = await asyncio.gather(*busy, timed_read())
    assert {s.status_code for s in statuses} == {200}
    assert elapsed < 2.0


async def test_ending_a_consultation_twenty_times_at_once_amid_writes_ends_it_once(
    server: RunningServer,
    consultation: Consultation,
    participant: Callable[[], Participant],
    db: psycopg.Connection,
):
    doctor = await joined(consultation, participant, "medecin")
    patient = await joined(consultation, participant, "patient")
    socket = await doctor.socket()
    operator = {"Authorization": f"Bearer {server.operator_key}"}

    by_operator, by_doctor, writes = [], [], []
    for i in range(10):
        path = f"/onetoone/{consultation.token}"
        by_operator.append(status(patient.http.delete(path, headers=operator)))
        by_doctor.append(status(doctor.http.delete(path)))
        writes.append(status(patient.http.post("/message", json={"text": f"m{i}"})))
        writes.append(status(upload(patient, PDF)))
    statuses = await asyncio.gather(*by_operator, *by_doctor, *writes)
    operators, doctors, written = statuses[:10], statuses[10:20], statuses[20:]
    # Ending an ended consultation is no error for the operator; the doctor's credential
    # ends with it (401), and a write lands before the end (removed with it) or gets 401 too.
    assert set(operators) == {200}, operators
    assert set(doctors) <= {200, 401} and set(written) <= {200, 401}, (doctors, written)
    assert (await socket.event("consultationEnded"))["reason"] == "killed"
    onetoone_id = consultation.id
    counted = db.execute(
        "SELECT count(*) FROM stats WHERE event = 'killed' AND onetoone_id = %s", (onetoone_id,)
    ).fetchone()
    queued = db.execute(
        "SELECT count(*) FROM webhook_event WHERE event = 'consultation.ended'"
        " AND (data->>'onetoone_id')::int = %s",
        (onetoone_id,),
    ).fetchone()
    assert counted == (1,) and queued == (1,) and rows(db, consultation) == (0, 0)
