"""Real media: aiortc clients send and receive audio and video through the real worker."""

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Callable

import psutil
import pytest

from tests.client import Consultation, Participant, create_consultation
from tests.media_client import (
    ColorVideoTrack,
    MediaClient,
    ToneAudioTrack,
    received_audio_level,
    received_video_color,
)
from tests.server import RunningServer

RED, BLUE, GREEN = (220, 30, 30), (30, 30, 220), (30, 200, 30)


def close_to(color: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(color, expected, strict=True))


@pytest.fixture
async def media_clients() -> AsyncIterator[Callable[..., MediaClient]]:
    made: list[MediaClient] = []

    def make(*args: object) -> MediaClient:
        made.append(MediaClient(*args))  # type: ignore[arg-type]
        return made[-1]

    yield make
    for client in made:
        await client.close()


async def joined_pair(
    consultation: Consultation,
    participant: Callable[[], Participant],
    media_clients: Callable[..., MediaClient],
) -> tuple[MediaClient, MediaClient]:
    doctor, patient = participant(), participant()
    await doctor.open(consultation.link("medecin"))
    await patient.open(consultation.link("patient"))
    doctor_media = media_clients(await doctor.socket(), [ColorVideoTrack(RED), ToneAudioTrack(440)])
    patient_media = media_clients(
        await patient.socket(), [ColorVideoTrack(BLUE), ToneAudioTrack(880)]
    )
    await doctor_media.join()
    joined = await patient_media.join()
    assert joined["peers"] == [{"id": doctor.session["id"], "role": "medecin"}]
    return doctor_media, patient_media


async def assert_media_flows(doctor_media: MediaClient, patient_media: MediaClient) -> None:
    doctor_sees = await received_video_color(await doctor_media.consumer("video"))
    patient_sees = await received_video_color(await patient_media.consumer("video"))
    assert close_to(doctor_sees, BLUE), doctor_sees
    assert close_to(patient_sees, RED), patient_sees
    assert await received_audio_level(await doctor_media.consumer("audio")) > 1000
    assert await received_audio_level(await patient_media.consumer("audio")) > 1000


async def test_doctor_and_patient_see_and_hear_each_other(
    consultation: Consultation,
    participant: Callable[[], Participant],
    media_clients: Callable[..., MediaClient],
):
    doctor_media, patient_media = await joined_pair(consultation, participant, media_clients)
    await assert_media_flows(doctor_media, patient_media)

    # The producer's stats on the server count what the doctor sends.
    producer = doctor_media.producers[0]
    stats = await doctor_media.call("getProducerStats", {"producerId": producer.id})
    assert stats and stats[0]["byteCount"] > 0

    # Closing a producer closes the other side's consumer, and the client is told.
    video = await patient_media.consumer("video")
    await doctor_media.call("closeProducer", {"producerId": producer.id})
    closed = await patient_media.socket.event("consumerClosed")
    assert closed["consumerId"] == video.id


async def test_another_consultation_receives_nothing(
    server: RunningServer,
    http,
    consultation: Consultation,
    participant: Callable[[], Participant],
    media_clients: Callable[..., MediaClient],
):
    doctor_media, _ = await joined_pair(consultation, participant, media_clients)
    other = await create_consultation(http, server.operator_key)
    outsider = participant()
    await outsider.open(other.link("medecin"))
    outsider_media = media_clients(await outsider.socket(), [ColorVideoTrack(GREEN)])
    joined = await outsider_media.join()
    assert joined["peers"] == []
    await asyncio.sleep(1.5)
    assert outsider_media.consumers == []
    # Ids of the other consultation's objects are unknown here.
    transport_id = doctor_media.send_transport.id
    answer = await outsider_media.socket.request("getTransportStats", {"transportId": transport_id})
    assert answer["ok"] is False and "transport not found" in answer["errorReason"]


async def test_pending_session_gets_no_media(
    consultation: Consultation, participant: Callable[[], Participant]
):
    patient, newcomer = participant(), participant()
    await patient.open(consultation.link("patient"))
    await newcomer.open(consultation.link("patient"))
    assert newcomer.session["validate_fromadmin"] == 0
    socket = await newcomer.socket()
    for method in ("getRouterRtpCapabilities", "createWebRtcTransport", "join"):
        answer = await socket.request(method, {"producing": True})
        assert answer["ok"] is False
        assert answer["errorReason"] == "waiting for the doctor's validation"


async def test_bad_media_requests_get_clear_errors(
    consultation: Consultation, participant: Callable[[], Participant]
):
    doctor = participant()
    await doctor.open(consultation.link("medecin"))
    socket = await doctor.socket()
    cases = [
        (
            "connectWebRtcTransport",
            {"transportId": "nope", "dtlsParameters": {}},
            "transport not found",
        ),
        ("produce", {"transportId": "x", "kind": "video", "rtpParameters": {}}, "join first"),
        ("join", {"rtpCapabilities": "nope"}, "rtpCapabilities must be an object"),
        ("resumeConsumer", {"consumerId": 5}, "consumer not found"),
        ("pauseProducer", {}, "producer not found"),
        ("setMaxReceiveBitrate", {"transportId": "x", "bitrate": 10}, "bitrate must be 0 or"),
        ("setMaxReceiveBitrate", {"transportId": "x", "bitrate": True}, "bitrate must be 0 or"),
        ("setMaxReceiveBitrate", {"transportId": "x", "bitrate": 200_000}, "transport not found"),
    ]
    for method, data, reason in cases:
        answer = await socket.request(method, data)
        assert answer["ok"] is False, method
        assert reason in answer["errorReason"], answer
    transport = await socket.request("createWebRtcTransport", {"producing": True})
    answer = await socket.request(
        "connectWebRtcTransport",
        {"transportId": transport["data"]["id"], "dtlsParameters": {"fingerprints": "bad"}},
    )
    assert answer["ok"] is False
    capped = {"transportId": transport["data"]["id"], "bitrate": 200_000}
    assert (await socket.request("setMaxReceiveBitrate", capped))["ok"] is True
    lifted = {"transportId": transport["data"]["id"], "bitrate": 0}
    assert (await socket.request("setMaxReceiveBitrate", lifted))["ok"] is True
    # The worker survived all of that.
    assert (await socket.request("getRouterRtpCapabilities"))["ok"] is True


async def test_a_room_in_use_is_not_closed_by_an_earlier_countdown(
    consultation: Consultation,
    participant: Callable[[], Participant],
    media_clients: Callable[..., MediaClient],
):
    """A room closes 2 s (the tests' setting) after it empties, but not once in use again:
    as when a page reloads, its participant alone in the room."""
    guest, doctor, patient = participant(), participant(), participant()
    await guest.open(consultation.link("guest"))
    guest_media = media_clients(await guest.socket(), [ToneAudioTrack(440)])
    await guest_media.join()
    await doctor.open(consultation.link("medecin"))
    await patient.open(consultation.link("patient"))
    doctor_media = media_clients(await doctor.socket(), [ColorVideoTrack(RED), ToneAudioTrack(440)])
    patient_media = media_clients(
        await patient.socket(), [ColorVideoTrack(BLUE), ToneAudioTrack(880)]
    )

    await guest_media.close()
    await guest.close()  # the room empties: its countdown starts
    passer_by = participant()
    await passer_by.open(consultation.link("medecin"))
    await (await passer_by.socket()).close()  # no media, the room still empty: again
    await doctor_media.join()
    await patient_media.join()
    await asyncio.sleep(3)  # past both countdowns' end
    # The SFU still carries what the doctor sends (the clients' own queues hold frames
    # received earlier, so a picture alone would not tell).
    producer = {"producerId": doctor_media.producers[0].id}
    before = (await doctor_media.call("getProducerStats", producer))[0]["byteCount"]
    await asyncio.sleep(0.5)
    assert (await doctor_media.call("getProducerStats", producer))[0]["byteCount"] > before


def worker_pids(server: RunningServer) -> list[int]:
    children = psutil.Process(server.process.pid).children(recursive=True)
    return [c.pid for c in children if c.name().startswith("mediasoup-work")]


async def test_media_comes_back_after_a_worker_is_killed(
    server: RunningServer,
    consultation: Consultation,
    participant: Callable[[], Participant],
    media_clients: Callable[..., MediaClient],
):
    doctor_media, patient_media = await joined_pair(consultation, participant, media_clients)
    await assert_media_flows(doctor_media, patient_media)
    before = worker_pids(server)
    assert len(before) == 2
    for pid in before:
        os.kill(pid, signal.SIGKILL)

    for media in (doctor_media, patient_media):
        assert (await media.socket.event("mediaReset", timeout=10))["reason"] == "worker died"

    # The clients rejoin at once with fresh transports, as the pages do: the server waits
    # for a worker to be respawned rather than refuse them, and media flows again.
    await doctor_media.close()
    await patient_media.close()
    doctor_again = media_clients(doctor_media.socket, [ColorVideoTrack(RED), ToneAudioTrack(440)])
    patient_again = media_clients(
        patient_media.socket, [ColorVideoTrack(BLUE), ToneAudioTrack(880)]
    )
    await doctor_again.join()
    await patient_again.join()
    await assert_media_flows(doctor_again, patient_again)
    after = worker_pids(server)
    assert len(after) == 2 and not set(after) & set(before)
