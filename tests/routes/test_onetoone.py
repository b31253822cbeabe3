from collections.abc import Callable

import httpx
import psycopg

from tests.client import Consultation, Participant, create_consultation
from tests.server import RunningServer


async def test_operator_creates_a_consultation_with_three_sessions(
    server: RunningServer, http: httpx.AsyncClient, db: psycopg.Connection
):
    consultation = await create_consultation(http, server.operator_key)
    assert set(consultation.sessions) == {"medecin", "patient", "guest"}
    tokens = {consultation.token} | {s["token"] for s in consultation.sessions.values()}
    assert len(tokens) == 4
    assert all(len(token) >= 22 for token in tokens)  # 128 bits of base64url at least
    for session in consultation.sessions.values():
        assert session["onetoone_token"] == consultation.token
        assert session["token_onetime_used"] == 0
        assert session["validate_fromadmin"] == 1
    row = db.execute(
        "SELECT s.event FROM stats s JOIN onetoone o ON o.id = s.onetoone_id WHERE o.token = %s",
        (consultation.token,),
    ).fetchall()
    assert row == [("created",)]


async def test_creating_needs_the_operator_key(http: httpx.AsyncClient, db: psycopg.Connection):
    before = db.execute("SELECT count(*) FROM onetoone").fetchone()
    for headers, msg in (
        ({}, "operator key required"),
        ({"Authorization": "Bearer wrong"}, "operator key not valid"),
        ({"Authorization": "Basic x"}, "operator key required"),
    ):
        response = await http.post("/onetoone", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"msg": msg}
    assert db.execute("SELECT count(*) FROM onetoone").fetchone() == before


async def test_operator_kills_a_consultation(
    server: RunningServer,
    http: httpx.AsyncClient,
    consultation: Consultation,
    participant: Callable[[], Participant],
    db: psycopg.Connection,
):
    patient = participant()
    assert (await patient.open(consultation.link("patient"))).status_code == 200
    onetoone_id = db.execute(
        "SELECT id FROM onetoone WHERE token = %s", (consultation.token,)
    ).fetchone()[0]
    patient_id = patient.session["id"]
    db.execute(
        "INSERT INTO message (onetoone_id, session_id, kind, body) VALUES (%s, %s, 'text', 'hi')",
        (onetoone_id, patient_id),
    )
    socket = await patient.socket()

    auth = {"Authorization": f"Bearer {server.operator_key}"}
    response = await http.delete(f"/onetoone/{consultation.token}", headers=auth)
    assert response.status_code == 200
    assert response.json() == {}

    assert await socket.event("consultationEnded") == {"reason": "killed"}
    status, killed_at = db.execute(
        "SELECT status, killed_at FROM onetoone WHERE id = %s", (onetoone_id,)
    ).fetchone()
    assert status == "killed" and killed_at is not None
    assert db.execute(
        "SELECT count(*) FROM message WHERE onetoone_id = %s", (onetoone_id,)
    ).fetchone() == (0,)
    assert ("killed", None) in db.execute(
        "SELECT event, session_id FROM stats WHERE onetoone_id = %s", (onetoone_id,)
    ).fetchall()
    # The killed consultation's links and credentials stop working at once.
    assert (await patient.open(consultation.link("medecin"))).status_code == 401
    infos = await patient.http.post(
        "/session/infos", json={"data": {"a": 1}}, headers=patient.auth()
    )
    assert infos.status_code == 401
    # Killing again is harmless.
    assert (await http.delete(f"/onetoone/{consultation.token}", headers=auth)).status_code == 200


async def test_the_doctor_may_kill_only_its_own_consultation(
    server: RunningServer,
    http: httpx.AsyncClient,
    consultation: Consultation,
    participant: Callable[[], Participant],
    db: psycopg.Connection,
):
    other = await create_consultation(http, server.operator_key)
    doctor, other_doctor, patient = participant(), participant(), participant()
    await doctor.open(consultation.link("medecin"))
    await other_doctor.open(other.link("medecin"))
    await patient.open(consultation.link("patient"))

    refused = [
        (
            await other_doctor.http.delete(
                f"/onetoone/{consultation.token}", headers=other_doctor.auth()
            )
        ),
        (await patient.http.delete(f"/onetoone/{consultation.token}", headers=patient.auth())),
        (await http.delete(f"/onetoone/{consultation.token}")),
    ]
    assert [r.status_code for r in refused] == [403, 403, 401]
    assert all("msg" in r.json() for r in refused)
    assert db.execute(
        "SELECT status FROM onetoone WHERE token = %s", (consultation.token,)
    ).fetchone() == ("active",)

    response = await doctor.http.delete(f"/onetoone/{consultation.token}")  # cookie only
    assert response.status_code == 200
    assert db.execute(
        "SELECT status FROM onetoone WHERE token = %s", (consultation.token,)
    ).fetchone() == ("killed",)


async def test_killing_an_unknown_consultation_is_404(
    server: RunningServer, http: httpx.AsyncClient
):
    auth = {"Authorization": f"Bearer {server.operator_key}"}
    response = await http.delete("/onetoone/not-a-token", headers=auth)
    assert response.status_code == 404
    assert response.json() == {"msg": "consultation not found"}


async def test_the_doctors_name_reaches_the_patients_link(
    server: RunningServer, http: httpx.AsyncClient, participant
):
    auth = {"Authorization": f"Bearer {server.operator_key}"}
    created = await http.post("/onetoone", headers=auth, json={"doctor_name": "Dr Élise Martin"})
    assert created.status_code == 200, created.text
    assert created.json()["onetoone"]["doctor_name"] == "Dr Élise Martin"
    sessions = {s["role"]: s for s in created.json()["sessions"]}
    token = created.json()["onetoone"]["token"]
    patient = participant()
    opened = await patient.open(f"/session/{token}/{sessions['patient']['token']}")
    assert opened.json()["session"]["doctor_name"] == "Dr Élise Martin"
    unnamed = await http.post("/onetoone", headers=auth)
    assert unnamed.json()["onetoone"]["doctor_name"] is None

    rule = "options not valid: doctor_name must be 1 to 100 characters, without control characters"
    for name in ("", "x" * 101, "Dr\nMartin", "\u007f", 7, ["Dr"]):
        refused = await http.post("/onetoone", headers=auth, json={"doctor_name": name})
        assert refused.status_code == 400 and refused.json() == {"msg": rule}, name
    for raw in (b'{"doctor_name": "\\u0000"}', b'{"doctor_name": "\\ud800"}'):
        refused = await http.post(
            "/onetoone", headers={**auth, "Content-Type": "application/json"}, content=raw
        )
        assert refused.status_code == 400 and isinstance(refused.json()["msg"], str), raw
