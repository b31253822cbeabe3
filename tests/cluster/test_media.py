"""Media across instances: the doctor's socket on one, the patient's on the other, and each
sees and hears the other, through the consultation's one router on its media home."""

import asyncio

import httpx
import psycopg

from tests.client import create_consultation
from tests.cluster.conftest import LEASE
from tests.cluster.person import Person
from tests.media_client import (
    ColorVideoTrack,
    MediaClient,
    ToneAudioTrack,
    received_audio_level,
    received_video_color,
)

RED, BLUE = (220, 30, 30), (30, 30, 220)


def near(color: tuple[int, ...], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 60 for a, b in zip(color, expected, strict=True))


async def media(person: Person, on: int, rgb: tuple[int, int, int], tone: float) -> MediaClient:
    client = MediaClient(await person.socket(on), [ColorVideoTrack(rgb), ToneAudioTrack(tone)])
    await client.join()
    return client


async def sees(client: MediaClient, rgb: tuple[int, int, int]) -> None:
    video, audio = await client.consumer("video"), await client.consumer("audio")
    assert near(await received_video_color(video), rgb)
    assert await received_audio_level(audio) > 100


def homes(database_url: str) -> list[tuple[str, ...]]:
    with psycopg.connect(database_url) as db:
        return db.execute(
            "SELECT i.name FROM media_home h JOIN instance i ON i.id = h.instance_id"
        ).fetchall()


async def test_doctor_on_one_instance_and_patient_on_another_see_each_other(more_instances):
    first, second = more_instances(2)
    async with httpx.AsyncClient(base_url=first.base_url) as http:
        consultation = await create_consultation(http, first.operator_key)
    doctor, patient = Person([first, second]), Person([first, second])
    clients: list[MediaClient] = []
    try:
        await doctor.open(0, consultation.link("medecin"))
        await patient.open(1, consultation.link("patient"))
        clients.append(await media(doctor, 0, RED, 440))
        clients.append(await media(patient, 1, BLUE, 660))
        assert homes(first.database_url) == [("instance0",)]  # the first to ask
        await asyncio.gather(sees(clients[0], BLUE), sees(clients[1], RED))
        # The relayed socket's tracks name that socket, as a local one's do (an end-to-end
        # encrypted page opens them with the key that socket sent).
        with psycopg.connect(first.database_url) as db:
            sockets = db.execute(
                "SELECT id FROM live_socket WHERE session_id = %s", (patient.session["id"],)
            ).fetchall()
        assert {c.appData["socketId"] for c in clients[0].consumers} == {str(sockets[0][0])}

        # The relayed socket's requests work as a local one's: stats, pause and resume.
        producer = clients[1].producers[0]
        stats = await clients[1].call("getProducerStats", {"producerId": producer.id})
        assert isinstance(stats, list)
        refused = await clients[1].socket.request("pauseProducer", {"producerId": "nope"})
        assert refused["errorReason"] == "pauseProducer: producer not found"
        watched = clients[0].socket
        await clients[1].call("pauseProducer", {"producerId": producer.id})
        paused = await watched.event("producerPaused")
        assert paused["producerId"] == producer.id

        # The relaying instance counts what it forwarded; both count the instances.
        for instance, relayed in ((first, 0), (second, 1)):
            text = httpx.get(instance.base_url + "/metrics").text
            assert "hocovisio_cluster_instances 2.0" in text
            count = next(
                float(line.split()[1])
                for line in text.splitlines()
                if line.startswith("hocovisio_media_requests_relayed_total ")
            )
            assert (count > 0) == bool(relayed)
    finally:
        for client in clients:
            await client.close()
        for person in (doctor, patient):
            await person.aclose()


async def test_media_flows_again_when_its_home_is_killed(more_instances):
    home, survivor = more_instances(2)
    async with httpx.AsyncClient(base_url=survivor.base_url) as http:
        consultation = await create_consultation(http, survivor.operator_key)
    doctor, patient = Person([home, survivor]), Person([home, survivor])
    clients: list[MediaClient] = []
    try:
        await doctor.open(0, consultation.link("medecin"))
        await patient.open(1, consultation.link("patient"))
        clients.append(await media(doctor, 0, RED, 440))  # the doctor's instance is the home
        clients.append(await media(patient, 1, BLUE, 660))
        await sees(clients[1], RED)

        home.process.kill()
        home.process.wait()
        # The patient, on the survivor, is told to join the media again once the home's lease
        # expires; the doctor reconnects to the survivor and joins too.
        reset = await clients[1].socket.event("mediaReset", timeout=LEASE * 4)
        assert reset == {"reason": "instance gone"}
        reconnected = asyncio.get_running_loop().time()
        for client in clients:
            await client.close()
        clients = [await media(doctor, 1, RED, 440), await media(patient, 1, BLUE, 660)]
        await asyncio.gather(sees(clients[0], BLUE), sees(clients[1], RED))
        assert asyncio.get_running_loop().time() - reconnected < 10
        assert homes(survivor.database_url) == [("instance1",)]
    finally:
        for client in clients:
            await client.close()
        for person in (doctor, patient):
            await person.aclose()
