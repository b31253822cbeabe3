"""Connection quality from the SFU's scores, through the real server and worker: every
participant hears each one's level, it follows the packets lost on a participant's network,
it is rate-limited, and a newcomer hears the levels already known."""

import asyncio
import time
from collections.abc import Callable

import pytest

from tests.client import Consultation, Participant, Socket
from tests.lossy_network import PacketLoss
from tests.media_client import MediaClient
from tests.ws.test_media import joined_pair, media_clients  # noqa: F401 (a fixture)


def levels(socket: Socket, peer_id: int) -> list[str]:
    return [
        f["data"]["quality"]
        for f in socket.notifications
        if f.get("method") == "connectionQuality" and f["data"]["peerId"] == peer_id
    ]


async def heard(socket: Socket, peer_id: int, wanted: set[str], timeout: float = 25) -> None:
    """Wait until the last level ``socket`` heard of ``peer_id`` is one of ``wanted``."""
    async with asyncio.timeout(timeout):
        while not (levels(socket, peer_id) and levels(socket, peer_id)[-1] in wanted):
            await asyncio.sleep(0.2)


async def test_quality_follows_the_loss_on_a_participants_network(
    consultation: Consultation,
    participant: Callable[[], Participant],
    media_clients: Callable[..., MediaClient],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
):
    loss = PacketLoss(monkeypatch)
    doctor_media, patient_media = await joined_pair(consultation, participant, media_clients)
    doctor, patient = doctor_media.socket, patient_media.socket
    doctor_id = consultation.sessions["medecin"]["id"]
    patient_id = consultation.sessions["patient"]["id"]
    started = time.monotonic()
    for socket in (doctor, patient):
        for peer_id in (doctor_id, patient_id):
            await heard(socket, peer_id, {"good"})

    # The patient's network loses 40 % of what reaches it: both hear it is no longer good.
    loss.receive(patient_media, 0.4)
    await heard(doctor, patient_id, {"fair", "poor"})
    await heard(patient, patient_id, {"fair", "poor"})
    assert levels(doctor, doctor_id)[-1] == "good"
    # The network recovers: good again.
    loss.receive(patient_media, 0.0)
    await heard(doctor, patient_id, {"good"})
    await heard(patient, patient_id, {"good"})

    # At most one announcement per participant every 2 s.
    elapsed = time.monotonic() - started
    for socket in (doctor, patient):
        assert len(levels(socket, patient_id)) <= elapsed / 2 + 1

    # A guest who joins now hears the levels already known, without waiting for a change.
    guest = participant()
    await guest.open(consultation.link("guest"))
    guest_media = media_clients(await guest.socket(), [])
    await guest_media.join()
    async with asyncio.timeout(2):
        while not (
            levels(guest_media.socket, doctor_id) and levels(guest_media.socket, patient_id)
        ):
            await asyncio.sleep(0.05)
    assert levels(guest_media.socket, patient_id) == ["good"]
