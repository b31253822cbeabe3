"""An instance killed with ``kill -9`` mid-consultation: its clients go on through another,
and nothing is left pointing at it."""

import asyncio
import time

import httpx
import psycopg

from tests.client import create_consultation
from tests.cluster.conftest import LEASE
from tests.cluster.person import Person

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
A, C = 0, 1


async def test_the_survivor_takes_over_when_an_instance_is_killed(more_instances):
    survivor, doomed = more_instances(2)
    async with httpx.AsyncClient(base_url=survivor.base_url) as http:
        consultation = await create_consultation(http, survivor.operator_key)
    doctor, patient, stranger = (Person([survivor, doomed]) for _ in range(3))
    try:
        await doctor.open(A, consultation.link("medecin"))
        await patient.open(C, consultation.link("patient"))
        doctor_socket = await doctor.socket(A)
        patient_socket = await patient.socket(C)
        assert (await doctor_socket.event("peerJoined"))["peerId"] == patient.id

        # Chat, a document, the form and a client waiting: all made through the doomed one.
        said = (await patient.post(C, "/message", {"text": "j'ai mal"})).json()["message"]
        headers = {"Authorization": f"Bearer {patient.credential}"}
        uploaded = await patient.clients[C].post(
            "/upload-file",
            files={"document": ("ordonnance.pdf", PDF, "application/pdf")},
            headers=headers,
        )
        assert uploaded.status_code == 200, uploaded.text
        document = uploaded.json()["document"]
        assert (
            await patient.post(C, "/session/infos", {"data": {"taille": 180}})
        ).status_code == 200
        await stranger.open(C, consultation.link("patient"))
        assert stranger.session["validate_fromadmin"] == 0

        doomed.process.kill()  # SIGKILL: no goodbye
        doomed.process.wait()
        killed_at = time.monotonic()
        async with asyncio.timeout(5):
            await patient_socket.connection.wait_closed()

        # The survivor removes the dead instance once its lease expires, and says the
        # patient left.
        assert await doctor_socket.event("peerLeft", timeout=LEASE * 3) == {"peerId": patient.id}
        assert time.monotonic() - killed_at < LEASE * 3
        with psycopg.connect(survivor.database_url) as db:
            instances = db.execute("SELECT name FROM instance").fetchall()
            assert instances == [("instance0",)]
            sockets = db.execute(
                "SELECT count(*) FROM live_socket s LEFT JOIN instance i ON i.id = s.instance_id"
                " WHERE i.id IS NULL OR i.name <> 'instance0'"
            ).fetchone()
            assert sockets == (0,)
            # Its clients' leaving is queued for the webhooks, as any other.
            left = db.execute(
                "SELECT count(*) FROM webhook_event WHERE event = 'participant.left'"
                " AND (data ->> 'session_id')::int = %s",
                (patient.id,),
            ).fetchone()
            assert left == (1,)

        # The patient reconnects, landing on the survivor: everything is there.
        again = await patient.socket(A)
        assert (await doctor_socket.event("peerJoined"))["peerId"] == patient.id
        history = (await patient.get(A, "/messages")).json()["messages"]
        assert len(history) == 2
        assert history[0]["id"] == said["id"] and history[0]["body"] == "j'ai mal"
        assert history[1]["document"]["id"] == document["id"]
        file = await patient.get(A, f"/document/{document['id']}")
        assert file.status_code == 200 and file.content == PDF
        assert (await patient.get(A, "/session/infos")).json()["data"] == {"taille": 180}
        # The doctor, connecting again on the survivor, is still told who waits.
        late = await doctor.socket(A)
        assert (await late.event("newSessionToValidate"))["session"]["id"] == stranger.id
        assert (await again.request("getPeers"))["data"]["peers"] == [
            {"id": doctor.id, "role": "medecin"}
        ]
    finally:
        for person in (doctor, patient, stranger):
            await person.aclose()
