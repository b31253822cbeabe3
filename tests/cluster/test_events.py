"""Events cross instances: a request on one reaches the sockets on the other, once, in order."""

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator

import httpx
import psycopg
import pytest

from tests.client import Consultation, create_consultation
from tests.cluster.person import Person
from tests.server import RunningServer

CLOSE_ENDED = 4000


@pytest.fixture
async def people(pair: list[RunningServer]) -> AsyncIterator[list[Person]]:
    made: list[Person] = []

    class Factory(list):
        def __call__(self) -> Person:
            made.append(Person(pair))
            return made[-1]

    yield Factory()  # type: ignore[misc]
    for person in made:
        await person.aclose()


@pytest.fixture
async def consultation(pair: list[RunningServer]) -> Consultation:
    async with httpx.AsyncClient(base_url=pair[0].base_url) as http:
        return await create_consultation(http, pair[0].operator_key)


A, B = 0, 1


async def test_every_event_reaches_the_sockets_on_the_other_instance(consultation, people):
    doctor, patient = people(), people()
    assert (await doctor.open(A, consultation.link("medecin"))).status_code == 200
    assert (await patient.open(B, consultation.link("patient"))).status_code == 200
    doctor_socket = await doctor.socket(A)
    patient_socket = await patient.socket(B)
    assert await doctor_socket.event("peerJoined") == {"peerId": patient.id, "role": "patient"}
    # Who is online is known everywhere.
    peers = (await patient_socket.request("getPeers"))["data"]["peers"]
    assert peers == [{"id": doctor.id, "role": "medecin"}]

    posted = await patient.post(A, "/message", {"text": "douleur au genou"})
    assert posted.status_code == 200
    event = await doctor_socket.event("newMessage")
    assert event["message"] == posted.json()["message"]  # the same text, the same timestamp
    answer = await doctor_socket.request("sendMessage", {"text": "depuis quand ?"})
    assert (await patient_socket.event("newMessage"))["message"] == answer["data"]["message"]

    form = await patient.post(B, "/session/infos", {"data": {"poids": 71.5, "allergies": None}})
    assert form.status_code == 200
    update = await doctor_socket.event("infoUpdate")
    assert update["data"] == {"poids": 71.5, "allergies": None}
    assert update["session_id"] == patient.id

    # A large form field goes by the table, not by NOTIFY, and arrives all the same.
    large = {"notes": "x" * 20_000}
    assert (await doctor.post(B, "/session/infos", {"data": large})).status_code == 200
    assert (await patient_socket.event("infoUpdate"))["data"] == large

    await patient_socket.close()
    assert await doctor_socket.event("peerLeft") == {"peerId": patient.id}


async def test_the_waiting_room_spans_instances(consultation, people):
    doctor, patient, stranger = people(), people(), people()
    await doctor.open(A, consultation.link("medecin"))
    await patient.open(A, consultation.link("patient"))
    doctor_socket = await doctor.socket(A)

    # The patient's link, opened again by another client on B, waits for the doctor on A.
    assert (await stranger.open(B, consultation.link("patient"))).status_code == 200
    waiting = stranger.session
    assert waiting["validate_fromadmin"] == 0
    announced = await doctor_socket.event("newSessionToValidate")
    # The answer that opened it adds a credential and the consultation's e2ee and doctor.
    assert announced["session"] == {
        k: v for k, v in waiting.items() if k not in ("credential", "e2ee", "doctor_name")
    }

    # A doctor's socket connecting on B is told who waits.
    late = await doctor.socket(B)
    assert (await late.event("newSessionToValidate"))["session"]["id"] == waiting["id"]

    waiting_socket = await stranger.socket(A)
    assert (await doctor.post(B, "/validate", {"sessionId": waiting["id"]})).status_code == 200
    admitted = await waiting_socket.event("newSessionIsValidate")
    assert admitted["session"]["id"] == waiting["id"]
    assert admitted["session"]["validate_fromadmin"] == 1
    assert await late.event("peerJoined") == {"peerId": waiting["id"], "role": "patient"}


async def test_events_of_writers_on_both_instances_arrive_in_order_once(consultation, people):
    doctor, patient, guest = people(), people(), people()
    await doctor.open(A, consultation.link("medecin"))
    await patient.open(B, consultation.link("patient"))
    await guest.open(A, consultation.link("guest"))
    watchers = [await guest.socket(A), await guest.socket(B)]
    count = 25

    async def chat(person: Person, on: int) -> list[int]:
        ids = []
        for n in range(count):
            response = await person.post(on, "/message", {"text": f"{person.id}-{n}"})
            assert response.status_code == 200, response.text
            ids.append(response.json()["message"]["id"])
        return ids

    # Each writes through both instances at once.
    sent = await asyncio.gather(
        chat(doctor, A), chat(doctor, B), chat(patient, A), chat(patient, B)
    )
    every_id = sorted(i for ids in sent for i in ids)
    for watcher in watchers:
        received = [e["message"]["id"] for e in await watcher.events("newMessage", 4 * count)]
        assert received == every_id  # in the order of the ids, none missing
        await watcher.no_event("unexpected", wait=0.3)
        extra = [f for f in watcher.notifications if f.get("method") == "newMessage"]
        assert len(extra) == 4 * count  # none twice


async def test_ending_closes_the_sockets_on_every_instance_at_once(pair, consultation, people):
    doctor, patient = people(), people()
    await doctor.open(A, consultation.link("medecin"))
    await patient.open(B, consultation.link("patient"))
    sockets = [await doctor.socket(A), await patient.socket(B), await patient.socket(A)]

    headers = {"Authorization": f"Bearer {doctor.credential}"}
    ended = await doctor.clients[B].delete(f"/onetoone/{consultation.token}", headers=headers)
    assert ended.status_code == 200
    for socket in sockets:
        assert await socket.event("consultationEnded", timeout=2) == {"reason": "killed"}
        async with asyncio.timeout(2):
            await socket.connection.wait_closed()
        assert socket.connection.close_code == CLOSE_ENDED


async def test_the_command_line_ends_a_consultation_on_every_instance(pair, consultation, people):
    doctor, patient = people(), people()
    await doctor.open(A, consultation.link("medecin"))
    await patient.open(B, consultation.link("patient"))
    sockets = [await doctor.socket(A), await patient.socket(B)]
    env = {
        **os.environ,
        "DATABASE_URL": pair[0].database_url,
        "HOCOVISIO_DATA_DIR": str(pair[0].data_dir),
    }
    command = [sys.executable, "-m", "app.cli", "monitor", "kill", "--before", "2100-01-01"]
    done = await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True)
    assert done.returncode == 0, done.stderr
    for socket in sockets:
        assert (await socket.event("consultationEnded", timeout=2))["reason"] == "expired"

    listed = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "app.cli", "instances"], env=env, capture_output=True
    )
    lines = listed.stdout.decode().splitlines()
    assert lines[0] == "2 instances"
    assert ["instance0" in lines[1], "instance1" in lines[2]] == [True, True]
    assert "RTC 127.0.0.1:" in lines[1] and "lease " in lines[1]


async def test_sockets_are_counted_in_the_database_and_forgotten_when_closed(
    pair, consultation, people
):
    doctor = people()
    await doctor.open(A, consultation.link("medecin"))
    sockets = [await doctor.socket(A), await doctor.socket(B)]
    with psycopg.connect(pair[0].database_url) as db:
        names = db.execute(
            "SELECT i.name FROM live_socket s JOIN instance i ON i.id = s.instance_id"
            " WHERE s.session_id = %s ORDER BY i.name",
            (doctor.id,),
        ).fetchall()
        assert names == [("instance0",), ("instance1",)]
        for socket in sockets:
            await socket.close()
        for _ in range(50):
            left = db.execute(
                "SELECT count(*) FROM live_socket WHERE session_id = %s", (doctor.id,)
            )
            if left.fetchone() == (0,):
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("the closed sockets are still counted")
