"""The station agent end to end: a fake USB bus, the real service, the doctor's real client."""

import asyncio
import fractions
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import psycopg
import pytest

from tests.client import Consultation, Participant
from tests.devices.fake_usb import FakeUsbBus
from tests.media_client import MediaClient, received_audio_level, received_video_color
from tests.media_files import write_tone
from tests.server import RunningServer, stop

GREEN = (30, 200, 30)
MODELS = {
    "0001": ("Station otoscope", "otoscope", "video", True),
    "0002": ("Station thermometer", "thermometer", "data", True),
    "0003": ("Retired dermatoscope", "dermatoscope", "video", False),
    "0004": ("Station stethoscope", "stethoscope", "audio", True),
}


def close_to(color: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(color, expected, strict=True))


def make_video(path: Path, rgb: tuple[int, int, int], seconds: int = 3) -> None:
    """A few seconds of a uniform colour: what the fake otoscope films."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=30)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.time_base = fractions.Fraction(1, 30)
        image = np.zeros((240, 320, 3), dtype=np.uint8)
        image[:, :] = rgb
        for index in range(30 * seconds):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


@pytest.fixture
async def catalogue(server: RunningServer, http: httpx.AsyncClient) -> AsyncIterator[dict]:
    headers = {"Authorization": f"Bearer {server.operator_key}"}
    devices = {}
    for product_id, (name, kind, media_kind, enabled) in MODELS.items():
        body = {"name": name, "kind": kind, "vendor_id": "bee1", "product_id": product_id}
        body |= {"media_kind": media_kind, "enabled": enabled}
        response = await http.post("/devices", json=body, headers=headers)
        assert response.status_code == 201, response.text
        devices[product_id] = response.json()["device"]
    yield devices
    for device in devices.values():
        await http.delete(f"/devices/{device['id']}", headers=headers)


@pytest.fixture
def station(
    usb_bus: FakeUsbBus, server: RunningServer, consultation: Consultation, tmp_path: Path
) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    video, tone = tmp_path / "otoscope.mp4", tmp_path / "stethoscope.wav"
    make_video(video, GREEN)
    write_tone(tone, 440, seconds=3)

    def start() -> subprocess.Popen[bytes]:
        command = usb_bus.command(
            sys.executable, "-m", "app.cli", "station", "--server", server.base_url,
            "--link", consultation.link("patient"), "--file", f"bee1:0001={video}",
            "--file", f"bee1:0004={tone}",
        )  # fmt: skip
        log = (tmp_path / "station.log").open("wb")
        started.append(subprocess.Popen(command, env=usb_bus.env(), stdout=log, stderr=log))
        return started[-1]

    yield start
    for process in started:
        stop(process)
        assert process.returncode == 0, (tmp_path / "station.log").read_text()


async def event_within(socket: Any, method: str, limit: float) -> tuple[dict, float]:
    start = time.monotonic()
    data = await socket.event(method, timeout=limit + 5)
    return data, time.monotonic() - start


async def test_station_announces_devices_and_sends_the_otoscope_video(
    usb_bus: FakeUsbBus,
    station: Callable[[], subprocess.Popen[bytes]],
    catalogue: dict[str, dict],
    consultation: Consultation,
    participant: Callable[[], Participant],
    db: psycopg.Connection,
):
    doctor = participant()
    await doctor.open(consultation.link("medecin"))
    socket = await doctor.socket()
    doctor_media = MediaClient(socket, [])
    try:
        await doctor_media.join()
        # The otoscope is plugged in before the station starts.
        otoscope = usb_bus.plug("bee1", "0001", "video", "video0", "1-1")
        station()

        connected = await socket.event("deviceConnected", timeout=30)
        assert connected["device"] == catalogue["0001"]
        assert connected["node"] == "/dev/video0"
        station_peer = connected["peerId"]

        consumer = await doctor_media.consumer("video", timeout=20)
        assert consumer.appData["device"] == {
            "id": catalogue["0001"]["id"],
            "name": "Station otoscope",
            "kind": "otoscope",
        }
        assert consumer.appData["peerId"] == station_peer
        color = await received_video_color(consumer)
        assert close_to(color, GREEN), color

        thermometer = usb_bus.plug("bee1", "0002", "tty", "ttyACM0", "1-2")
        connected, delay = await event_within(socket, "deviceConnected", 1.0)
        assert delay < 1.0, delay
        assert (connected["device"]["kind"], connected["node"]) == ("thermometer", "/dev/ttyACM0")
        print(f"deviceConnected reached the doctor {delay * 1000:.0f} ms after the plug")

        # A disabled model and an unknown one are not announced.
        usb_bus.plug("bee1", "0003", "video", "video2", "1-3")
        usb_bus.plug("cafe", "0001", "video", "video4", "1-4")
        await socket.no_event("deviceConnected", wait=1.0)

        listed = await doctor.http.get("/devices/connected", headers=doctor.auth())
        nodes = sorted(entry["node"] for entry in listed.json()["devices"])
        assert nodes == ["/dev/ttyACM0", "/dev/video0"]

        # The stethoscope is heard by the doctor, labelled as such.
        stethoscope = usb_bus.plug("bee1", "0004", "audio", "card1", "1-5")
        connected = await socket.event("deviceConnected")
        assert (connected["device"]["kind"], connected["node"]) == ("stethoscope", "hw:1")
        sound = await doctor_media.consumer("audio", timeout=20)
        assert sound.appData["device"]["kind"] == "stethoscope"
        assert await received_audio_level(sound) > 1000
        usb_bus.unplug(stethoscope)
        assert (await socket.event("deviceDisconnected"))["node"] == "hw:1"
        assert (await socket.event("consumerClosed"))["consumerId"] == sound.id

        usb_bus.unplug(otoscope)
        disconnected, delay = await event_within(socket, "deviceDisconnected", 1.0)
        assert delay < 1.0, delay
        print(f"deviceDisconnected reached the doctor {delay * 1000:.0f} ms after the unplug")
        assert disconnected == {
            "device": catalogue["0001"],
            "node": "/dev/video0",
            "peerId": station_peer,
        }
        closed = await socket.event("consumerClosed")
        assert closed["consumerId"] == consumer.id
        usb_bus.unplug(thermometer)
        await socket.event("deviceDisconnected")
        listed = await doctor.http.get("/devices/connected", headers=doctor.auth())
        assert listed.json() == {"devices": []}

        events = db.execute(
            "SELECT event, detail->>'kind' FROM stats s JOIN onetoone o ON o.id = s.onetoone_id"
            " WHERE o.token = %s AND event LIKE 'device_%%' ORDER BY s.id",
            (consultation.token,),
        ).fetchall()
        assert events == [
            ("device_connected", "otoscope"),
            ("device_connected", "thermometer"),
            ("device_connected", "stethoscope"),
            ("device_disconnected", "stethoscope"),
            ("device_disconnected", "otoscope"),
            ("device_disconnected", "thermometer"),
        ]
    finally:
        await doctor_media.close()


async def test_server_refuses_unknown_and_disabled_devices(
    catalogue: dict[str, dict], consultation: Consultation, participant: Callable[[], Participant]
):
    patient = participant()
    await patient.open(consultation.link("patient"))
    socket = await patient.socket()
    for data, reason in (
        ({"vendor_id": "cafe", "product_id": "0001"}, "device cafe:0001 is not in the catalogue"),
        ({"vendor_id": "bee1", "product_id": "0003"}, "device bee1:0003 is disabled"),
        ({"vendor_id": "bee1", "product_id": "1"}, "product_id must be 4 hexadecimal digits"),
        ({"vendor_id": "bee1", "product_id": "0002", "node": 7}, "node must be a text"),
    ):
        answer = await socket.request("deviceConnected", data)
        assert not answer["ok"]
        assert answer["errorReason"].startswith(reason), answer
    unauthenticated = await participant().http.get("/devices/connected")
    assert unauthenticated.status_code == 401


async def test_station_stops_when_the_consultation_ends(
    server: RunningServer,
    http: httpx.AsyncClient,
    station: Callable[[], subprocess.Popen[bytes]],
    consultation: Consultation,
    participant: Callable[[], Participant],
    tmp_path: Path,
):
    doctor = participant()
    await doctor.open(consultation.link("medecin"))
    socket = await doctor.socket()
    process = station()
    await socket.event("peerJoined", timeout=30)
    # Fully running (media joined, watching USB) when the consultation ends, not still joining.
    log = tmp_path / "station.log"
    for _ in range(150):
        if "watching USB devices" in log.read_text():
            break
        await asyncio.sleep(0.1)
    assert "watching USB devices" in log.read_text()
    headers = {"Authorization": f"Bearer {server.operator_key}"}
    ended = await http.delete(f"/onetoone/{consultation.token}", headers=headers)
    assert ended.status_code == 200
    start = time.monotonic()
    while process.poll() is None and time.monotonic() - start < 10:
        await asyncio.sleep(0.1)
    assert process.returncode == 0


async def test_a_station_that_drops_off_takes_its_devices_with_it(
    catalogue: dict[str, dict], consultation: Consultation, participant: Callable[[], Participant]
):
    doctor, patient = participant(), participant()
    await doctor.open(consultation.link("medecin"))
    await patient.open(consultation.link("patient"))
    doctor_socket, station_socket = await doctor.socket(), await patient.socket()
    plugged = {"vendor_id": "bee1", "product_id": "0002", "node": "/dev/ttyACM0"}
    assert (await station_socket.request("deviceConnected", plugged))["ok"]
    assert (await doctor_socket.event("deviceConnected"))["node"] == "/dev/ttyACM0"

    await station_socket.close()  # no deviceDisconnected from the station itself
    gone = await doctor_socket.event("deviceDisconnected")
    assert gone["device"]["id"] == catalogue["0002"]["id"]
    assert gone["peerId"] == patient.session["id"]
    listed = await doctor.http.get("/devices/connected")
    assert listed.json()["devices"] == []


async def test_a_station_back_before_its_old_socket_dropped_keeps_its_devices(
    catalogue: dict[str, dict], consultation: Consultation, participant: Callable[[], Participant]
):
    doctor, patient = participant(), participant()
    await doctor.open(consultation.link("medecin"))
    await patient.open(consultation.link("patient"))
    doctor_socket, old_socket = await doctor.socket(), await patient.socket()
    plugged = {"vendor_id": "bee1", "product_id": "0002", "node": "/dev/ttyACM0"}
    assert (await old_socket.request("deviceConnected", plugged))["ok"]
    assert (await doctor_socket.event("deviceConnected"))["node"] == "/dev/ttyACM0"

    # The station reconnects and reports again; then its old socket is seen to drop.
    new_socket = await patient.socket()
    assert (await new_socket.request("deviceConnected", plugged))["ok"]
    await old_socket.close()
    await doctor_socket.no_event("deviceDisconnected")
    assert all(
        f.get("method") not in ("deviceConnected", "peerLeft") for f in doctor_socket.notifications
    )
    listed = await doctor.http.get("/devices/connected")
    assert [entry["node"] for entry in listed.json()["devices"]] == ["/dev/ttyACM0"]

    await new_socket.close()
    assert (await doctor_socket.event("deviceDisconnected"))["node"] == "/dev/ttyACM0"
    assert await doctor_socket.event("peerLeft") == {"peerId": patient.session["id"]}


def test_a_station_whose_link_fails_says_so_without_quoting_it(
    server: RunningServer, consultation: Consultation
):
    """Run on its own at the debug level: the link's tokens are in no line it writes."""
    link = consultation.link("patient").replace(consultation.token, "0" * 32)
    result = subprocess.run(
        [sys.executable, "-m", "station.cli", "--server", server.base_url, "--link", link,
         "--log-level", "debug"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "error: opening the consultation's link: session not valid" in result.stderr
    assert consultation.sessions["patient"]["token"] not in result.stdout + result.stderr
