"""A station's devices, reported on one instance, are known on every other: the events, the
list, the check of a device's label; and they go when the station's instance dies."""

import httpx

from tests.client import create_consultation
from tests.cluster.conftest import LEASE
from tests.cluster.person import Person

PLUGGED = {"vendor_id": "bee3", "product_id": "0002", "node": "/dev/video3"}
DERMATOSCOPE = {
    "name": "Dermatoscope",
    "kind": "dermatoscope",
    "vendor_id": "bee3",
    "product_id": "0002",
    "media_kind": "video",
}


async def test_devices_reported_on_one_instance_are_known_on_the_other(more_instances):
    watcher_side, station_side = more_instances(2)
    operator = {"Authorization": f"Bearer {watcher_side.operator_key}"}
    async with httpx.AsyncClient(base_url=watcher_side.base_url) as http:
        consultation = await create_consultation(http, watcher_side.operator_key)
        added = await http.post("/devices", json=DERMATOSCOPE, headers=operator)
        assert added.status_code == 201, added.text
    doctor, station = Person([watcher_side, station_side]), Person([watcher_side, station_side])
    try:
        await doctor.open(0, consultation.link("medecin"))
        await station.open(1, consultation.link("patient"))
        doctor_socket = await doctor.socket(0)
        station_socket = await station.socket(1)

        assert (await station_socket.request("deviceConnected", PLUGGED))["ok"]
        event = await doctor_socket.event("deviceConnected")
        assert event["device"]["name"] == "Dermatoscope" and event["peerId"] == station.id
        # The list, asked of either instance.
        for on in (0, 1):
            listed = (await doctor.get(on, "/devices/connected")).json()["devices"]
            assert [(d["device"]["kind"], d["node"]) for d in listed] == [
                ("dermatoscope", "/dev/video3")
            ]

        # The station's instance dies: its device is announced gone, and the list is empty.
        station_side.process.kill()
        station_side.process.wait()
        gone = await doctor_socket.event("deviceDisconnected", timeout=LEASE * 4)
        assert gone["peerId"] == station.id and gone["node"] == "/dev/video3"
        assert (await doctor.get(0, "/devices/connected")).json()["devices"] == []
    finally:
        for person in (doctor, station):
            await person.aclose()
