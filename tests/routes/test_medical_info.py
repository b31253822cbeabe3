import asyncio
from collections.abc import Callable

import psycopg
import pytest

from tests.client import Consultation, Participant


def form(db: psycopg.Connection, consultation: Consultation) -> dict:
    return db.execute(
        "SELECT m.data FROM medical_info m JOIN onetoone o ON o.id = m.onetoone_id"
        " WHERE o.token = %s",
        (consultation.token,),
    ).fetchone()[0]


async def test_patient_fills_the_questionnaire_and_the_doctor_sees_it(
    consultation: Consultation, participant: Callable[[], Participant], db: psycopg.Connection
):
    doctor, patient = participant(), participant()
    await doctor.open(consultation.link("medecin"))
    await patient.open(consultation.link("patient"))
    doctor_socket, patient_socket = await doctor.socket(), await patient.socket()

    response = await patient.http.post("/session/infos", json={"data": {"weight": 72}})
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"weight": 72}
    update = await doctor_socket.event("infoUpdate")
    assert update["id"] == body["id"]
    assert update["data"] == {"weight": 72}
    assert update["role"] == "patient"
    await patient_socket.no_event("infoUpdate", wait=0.3)

    # The doctor's form merges into the same record, fields are not lost.
    response = await doctor.http.post(
        "/session/infos", json={"data": {"diagnosis": "otitis", "notes": {"left": "red"}}}
    )
    assert response.status_code == 200
    assert (await patient_socket.event("infoUpdate"))["data"]["diagnosis"] == "otitis"
    assert form(db, consultation) == {
        "weight": 72,
        "diagnosis": "otitis",
        "notes": {"left": "red"},
    }


async def test_concurrent_updates_lose_no_field(
    consultation: Consultation, participant: Callable[[], Participant], db: psycopg.Connection
):
    doctor, patient = participant(), participant()
    await doctor.open(consultation.link("medecin"))
    await patient.open(consultation.link("patient"))
    writes = [
        client.http.post("/session/infos", json={"data": {f"field{i}": i}})
        for i, client in enumerate([doctor, patient] * 10)
    ]
    assert {r.status_code for r in await asyncio.gather(*writes)} == {200}
    assert form(db, consultation) == {f"field{i}": i for i in range(20)}


@pytest.mark.parametrize(
    "body",
    [None, {}, {"data": None}, {"data": {}}, {"data": "text"}, {"data": [1]}, {"other": {"a": 1}}],
)
async def test_missing_or_malformed_data_is_not_valid(
    consultation: Consultation,
    participant: Callable[[], Participant],
    db: psycopg.Connection,
    body: object,
):
    patient = participant()
    await patient.open(consultation.link("patient"))
    response = await patient.http.post("/session/infos", json=body)
    assert response.status_code == 401
    assert response.json() == {"msg": "data not valid"}
    assert form(db, consultation) == {}


async def test_oversized_form_is_refused_and_stores_nothing(
    consultation: Consultation, participant: Callable[[], Participant], db: psycopg.Connection
):
    patient = participant()
    await patient.open(consultation.link("patient"))
    response = await patient.http.post("/session/infos", json={"data": {"x": "a" * 200_000}})
    assert response.status_code == 413
    assert "msg" in response.json()
    assert form(db, consultation) == {}


async def test_form_needs_a_credential(
    consultation: Consultation, participant: Callable[[], Participant]
):
    stranger = participant()
    response = await stranger.http.post("/session/infos", json={"data": {"a": 1}})
    assert response.status_code == 401
    stranger.credential = "forged-credential"
    response = await stranger.http.post(
        "/session/infos", json={"data": {"a": 1}}, headers=stranger.auth()
    )
    assert response.status_code == 401
