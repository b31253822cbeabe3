"""The label of a device's stream comes from the catalogue, for a device its session reported:
a participant cannot pass its webcam off as an otoscope."""

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from tests.client import Consultation, Participant, create_consultation
from tests.raw_media import join, ok, produce, record_consumers, settled
from tests.server import RunningServer

OTOSCOPE = {"name": "Label otoscope", "kind": "otoscope", "vendor_id": "bee2"}
PLUGGED = {"vendor_id": "bee2", "product_id": "0001", "node": "/dev/video7"}


@pytest.fixture
async def otoscope(server: RunningServer, http: httpx.AsyncClient) -> AsyncIterator[dict]:
    headers = {"Authorization": f"Bearer {server.operator_key}"}
    body = {**OTOSCOPE, "product_id": "0001", "media_kind": "video"}
    response = await http.post("/devices", json=body, headers=headers)
    assert response.status_code == 201, response.text
    device = response.json()["device"]
    yield device
    await http.delete(f"/devices/{device['id']}", headers=headers)


async def test_device_labels_come_from_the_catalogue(
    otoscope: dict[str, Any], consultation: Consultation, participant: Callable[[], Participant]
):
    doctor, patient, guest = participant(), participant(), participant()
    for client, role in ((doctor, "medecin"), (patient, "patient"), (guest, "guest")):
        await client.open(consultation.link(role))
    doctor_socket, patient_socket = await doctor.socket(), await patient.socket()
    guest_socket = await guest.socket()
    offered = record_consumers(doctor_socket)
    await join(doctor_socket, consuming=True)
    transport_id = await join(patient_socket)
    spoofed = {"id": otoscope["id"], "name": "Otoscope (spoofed)", "kind": "otoscope"}

    # Not reported at all, or reported by another session (the guest's station).
    refused = await produce(patient_socket, transport_id, 1, {"device": spoofed}, "video")
    assert refused["errorReason"] == "produce: device not connected"
    await ok(guest_socket, "deviceConnected", PLUGGED)
    refused = await produce(patient_socket, transport_id, 2, {"device": spoofed}, "video")
    assert refused["errorReason"] == "produce: device not connected"

    # Reported by the patient's own session: produced, with the catalogue's name and kind.
    await ok(patient_socket, "deviceConnected", PLUGGED)
    for app_data, reason in (
        ({"device": spoofed}, f"device {otoscope['id']} does not send audio"),
        ({"device": {"id": str(otoscope["id"])}}, "appData.device.id must be a device id"),
        ({"device": "otoscope"}, "appData.device.id must be a device id"),
        ({"source": "otoscope"}, "appData.source must be one of mic, webcam, screen"),
        ("otoscope", "appData must be an object"),
    ):
        answer = await produce(patient_socket, transport_id, 3, app_data, "audio")
        assert answer["errorReason"] == f"produce: {reason}", answer
    forged = {"device": {**spoofed, "kind": "stethoscope"}, "source": "webcam"}
    forged |= {"peerId": 999, "socketId": "999999999", "label": "Otoscope (spoofed)"}
    answer = await produce(patient_socket, transport_id, 4, forged, "video")
    assert answer["ok"], answer
    await settled(lambda: len(offered) == 1)
    assert offered[0]["appData"].pop("socketId") != forged["socketId"]
    assert offered[0]["appData"] == {
        "device": {"id": otoscope["id"], "name": "Label otoscope", "kind": "otoscope"},
        "source": "webcam",
        "peerId": patient.session["id"],
    }

    # Once unplugged, it cannot be produced again.
    await ok(patient_socket, "deviceDisconnected", PLUGGED)
    refused = await produce(patient_socket, transport_id, 5, {"device": spoofed}, "video")
    assert refused["errorReason"] == "produce: device not connected"


async def test_device_videos_are_refused_in_an_encrypted_consultation(
    otoscope: dict[str, Any],
    server: RunningServer,
    http: httpx.AsyncClient,
    participant: Callable[[], Participant],
):
    """The station agent sends its device videos unencrypted: in an end-to-end encrypted
    consultation the server refuses them, and still takes the participant's own camera."""
    consultation = await create_consultation(http, server.operator_key, e2ee=True)
    patient = participant()
    await patient.open(consultation.link("patient"))
    socket = await patient.socket()
    transport_id = await join(socket)
    await ok(socket, "deviceConnected", PLUGGED)
    refused = await produce(socket, transport_id, 1, {"device": {"id": otoscope["id"]}}, "video")
    assert refused["errorReason"] == (
        "produce: this consultation is end-to-end encrypted: the station cannot encrypt its"
        " device videos, so they are not sent"
    ), refused
    camera = await produce(socket, transport_id, 2, {"source": "webcam"}, "video")
    assert camera["ok"], camera
