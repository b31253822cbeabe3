"""A consultation station (a real socket and WebRTC client) plugs a medical device in: the
doctor's page lists it and shows its video apart from the participants'."""

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import expect

from tests.client import Participant
from tests.e2e.conftest import NO_VIDEO, Browsers
from tests.e2e.test_consultation import join_path, new_consultation
from tests.media_client import ColorVideoTrack, MediaClient
from tests.server import RunningServer

OTOSCOPE = {"vendor_id": "1209", "product_id": "0001", "node": "/dev/video4"}


@pytest.fixture
async def station(server: RunningServer) -> AsyncIterator[Participant]:
    made = Participant(server.base_url, server.ws_url)
    yield made
    await made.close()


async def test_doctor_sees_a_plugged_device_and_its_video(
    server: RunningServer, people: Browsers, station: Participant
) -> None:
    consultation = await new_consultation(server)
    doctor = await people.page(join_path(consultation, "medecin"))
    await expect(doctor.locator("#status")).to_have_text("Waiting for the patient…")

    assert (await station.open(consultation.link("guest"))).status_code == 200
    socket = await station.socket()
    plugged = await socket.request("deviceConnected", OTOSCOPE)
    assert plugged["ok"], plugged
    device = plugged["data"]["device"]
    await expect(doctor.locator(".devices li")).to_contain_text(device["name"])

    camera = ColorVideoTrack((200, 40, 40))
    media = MediaClient(socket, [camera])
    media.tracks = []  # joins without producing; the device's video goes out with its label
    try:
        await media.join()
        await media.send_transport.produce(
            track=camera, stopTracks=False, appData={"device": device}
        )
        tile = doctor.locator(".device-videos .device-tile")
        await expect(tile).to_contain_text(device["name"])
        await doctor.wait_for_function(
            "() => document.querySelector('.device-tile video').videoWidth > 0"
        )
        # The station's tile stays without video: the device's is not the guest's camera.
        await expect(doctor.locator(".tile.remote[data-role=guest]")).to_have_class(NO_VIDEO)

        unplugged = await socket.request("deviceDisconnected", OTOSCOPE)
        assert unplugged["ok"], unplugged
        await expect(doctor.locator(".devices li")).to_have_count(0)
    finally:
        await media.close()
