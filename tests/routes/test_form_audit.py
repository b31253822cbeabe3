"""Every read and write of the medical form leaves an audit row; nothing medical in it."""

from collections.abc import Callable

import psycopg

from tests.client import Consultation, Participant


def audit_rows(db: psycopg.Connection, consultation: Consultation) -> list[tuple]:
    return db.execute(
        "SELECT a.action, a.session_id, a.role FROM audit a"
        " JOIN onetoone o ON o.id = a.onetoone_id WHERE o.token = %s ORDER BY a.id",
        (consultation.token,),
    ).fetchall()


async def test_participants_read_the_form_and_every_access_is_audited(
    consultation: Consultation, participant: Callable[[], Participant], db: psycopg.Connection
):
    doctor, patient = participant(), participant()
    await doctor.open(consultation.link("medecin"))
    await patient.open(consultation.link("patient"))

    empty = await doctor.http.get("/session/infos")
    assert empty.status_code == 200
    form_id = empty.json()["id"]
    assert empty.json() == {"id": form_id, "data": {}}
    await patient.http.post("/session/infos", json={"data": {"allergy": "penicillin"}})
    read = await doctor.http.get("/session/infos", headers=doctor.auth())
    assert read.json() == {"id": form_id, "data": {"allergy": "penicillin"}}

    doctor_id, patient_id = doctor.session["id"], patient.session["id"]
    assert audit_rows(db, consultation) == [
        ("form.read", doctor_id, "medecin"),
        ("form.update", patient_id, "patient"),
        ("form.read", doctor_id, "medecin"),
    ]
    columns = db.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'audit'"
    ).fetchall()
    assert {c for (c,) in columns} == {
        "id", "action", "onetoone_id", "session_id", "role", "document_id", "created_at"
    }  # fmt: skip


async def test_reading_the_form_needs_a_validated_session_of_a_live_consultation(
    consultation: Consultation, participant: Callable[[], Participant], db: psycopg.Connection
):
    patient, intruder, nobody = participant(), participant(), participant()
    await patient.open(consultation.link("patient"))
    await intruder.open(consultation.link("patient"))  # pending: in the waiting room

    assert (await nobody.http.get("/session/infos")).status_code == 401
    waiting = await intruder.http.get("/session/infos")
    assert waiting.status_code == 403
    assert "msg" in waiting.json()
    assert audit_rows(db, consultation) == []
