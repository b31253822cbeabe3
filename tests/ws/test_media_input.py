"""Media requests as a hostile or broken client makes them (found by fuzzing a live server):
each is refused at once with its reason, or leaves nothing behind in the worker, and none
puts an error in the server's log."""

import asyncio
import json
from collections.abc import Callable

from websockets.asyncio.client import connect

from tests.client import Consultation, Participant
from tests.raw_media import RTP_CAPABILITIES, join, ok, produce, record_consumers, settled
from tests.server import RunningServer


def errors_since(server: RunningServer, mark: int) -> list[str]:
    return [line for line in server.log()[mark:].splitlines() if " ERROR " in line]


async def test_malformed_capabilities_are_refused_at_join(
    server: RunningServer, consultation: Consultation, participant: Callable[[], Participant]
):
    patient = participant()
    await patient.open(consultation.link("patient"))
    socket = await patient.socket()
    await ok(socket, "createWebRtcTransport", {"consuming": True})
    mark = len(server.log())
    for capabilities, reason in (
        ({"codecs": "x"}, "caps.codecs is not an array"),
        ({"codecs": [1]}, "codec is not an object"),
        ({"headerExtensions": [{"kind": "audio"}]}, "missing ext.uri"),
    ):
        answer = await socket.request("join", {"rtpCapabilities": capabilities})
        assert answer["ok"] is False and answer["errorReason"].startswith("join: "), answer
        assert reason in answer["errorReason"], answer
    await ok(socket, "join", {"rtpCapabilities": RTP_CAPABILITIES})  # then a good one
    layers = {"consumerId": "none", "spatialLayer": True}
    answer = await socket.request("setConsumerPreferredLayers", layers)
    assert answer["errorReason"] == (
        "setConsumerPreferredLayers: spatialLayer and temporalLayer must be integers"
    )
    assert errors_since(server, mark) == []


async def test_layers_a_producer_does_not_have_cost_it_its_consumers_quietly(
    server: RunningServer, consultation: Consultation, participant: Callable[[], Participant]
):
    """A VP8 encoding that claims three spatial layers is accepted by the worker, which then
    refuses every consumer of it: the receivers get none, and the log says so at INFO."""
    doctor, patient = participant(), participant()
    await doctor.open(consultation.link("medecin"))
    await patient.open(consultation.link("patient"))
    doctor_socket, patient_socket = await doctor.socket(), await patient.socket()
    offered = record_consumers(patient_socket)
    await join(patient_socket, consuming=True)
    transport_id = await join(doctor_socket)
    mark = len(server.log())
    codec = {"mimeType": "video/VP8", "payloadType": 101, "clockRate": 90000}
    layered = {"codecs": [codec], "encodings": [{"ssrc": 2222, "scalabilityMode": "L3T3"}]}
    answer = await doctor_socket.request(
        "produce", {"transportId": transport_id, "kind": "video", "rtpParameters": layered}
    )
    assert answer["ok"], answer
    await asyncio.sleep(1)
    assert offered == []
    assert errors_since(server, mark) == []
    assert "gets no consumer" in server.log()[mark:]
    # The next, well-formed producer reaches the patient.
    await produce(doctor_socket, transport_id, 3333)
    await settled(lambda: len(offered) == 1)


async def test_a_socket_gone_while_its_transports_are_made_leaves_none(
    server: RunningServer, consultation: Consultation, participant: Callable[[], Participant]
):
    """Its requests are cancelled, not the worker's work: what the worker made for them is
    closed once made, instead of staying in the worker for the room's life."""
    doctor, patient = participant(), participant()
    await doctor.open(consultation.link("medecin"))
    await patient.open(consultation.link("patient"))
    await join(await doctor.socket())  # keeps the room open
    mark = len(server.log())
    headers = {"Authorization": f"Bearer {patient.credential}"}
    for attempt in range(40):
        async with connect(server.ws_url, additional_headers=headers) as raw:
            for n in range(4):
                request = {"request": True, "id": n + 1, "method": "createWebRtcTransport"}
                await raw.send(json.dumps({**request, "data": {}}))
            await asyncio.sleep(0.001 * (attempt % 4))
            raw.transport.abort()  # gone without a word, the requests with the worker
    await asyncio.sleep(1)
    assert errors_since(server, mark) == []
    metrics = (await doctor.http.get("/metrics")).text
    assert "hocovisio_sfu_transports 1.0" in metrics  # the doctor's alone
