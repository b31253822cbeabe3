"""The socket's frames in a whole consultation, both ways, against ``/asyncapi.json``; and the
document lists every method the socket serves and every event the service sends."""

import ast
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
from websockets.asyncio.client import ClientConnection

from app.ws.hub import DISPATCHER
from protoo.websocket import connect
from tests.client import Consultation, Participant, Socket
from tests.media_client import ColorVideoTrack, MediaClient, ToneAudioTrack
from tests.server import RunningServer

ROOT = Path(__file__).resolve().parents[2]


class Recording:
    """A socket's transport that keeps every frame, with who sent it."""

    def __init__(self, connection: ClientConnection, frames: list[tuple[str, str]]) -> None:
        self.connection = connection
        self.frames = frames

    async def send(self, message: str) -> None:
        self.frames.append(("client", message))
        await self.connection.send(message)

    async def __aiter__(self) -> AsyncIterator[str | bytes]:
        async for message in self.connection:
            self.frames.append(("server", str(message)))
            yield message

    async def close(self) -> None:
        await self.connection.close()


async def recorded(participant: Participant, server: RunningServer, frames: list) -> Socket:
    assert participant.credential is not None
    connection = await connect(server.ws_url, participant.credential)
    socket = Socket(Recording(connection, frames))  # type: ignore[arg-type]
    participant.sockets.append(socket)
    return socket


def messages(document: dict[str, Any]) -> dict[str, Any]:
    return document["components"]["messages"]


def check(document: dict[str, Any], frames: list[tuple[str, str]]) -> set[str]:
    """Validate each frame against its message; return the messages seen."""
    found, methods = messages(document), {}
    seen = set()
    for sender, text in frames:
        frame = json.loads(text)
        if frame.get("request"):
            prefix = "request" if sender == "client" else "serverRequest"
            name = f"{prefix}.{frame['method']}"
            methods[(sender, frame["id"])] = frame["method"]
        elif frame.get("notification"):
            assert sender == "server"
            name = f"notification.{frame['method']}"
        else:
            asker = "server" if sender == "client" else "client"
            method = methods[(asker, frame["id"])]
            name = f"{'answer' if asker == 'client' else 'serverAnswer'}.{method}"
        assert name in found, f"{name} is not in the document"
        jsonschema.validate(frame, found[name]["payload"])
        seen.add(name)
    return seen


async def test_a_whole_consultations_frames_follow_the_document(
    server: RunningServer, consultation: Consultation
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        document = (await http.get("/asyncapi.json")).json()
    assert document["asyncapi"] == "3.0.0"
    jsonschema.Draft202012Validator.check_schema(
        {"$defs": {k: v["payload"] for k, v in messages(document).items()}}
    )
    frames: list[tuple[str, str]] = []
    doctor = Participant(server.base_url, server.ws_url)
    patient = Participant(server.base_url, server.ws_url)
    late = Participant(server.base_url, server.ws_url)
    clients: list[MediaClient] = []
    try:
        await doctor.open(consultation.link("medecin"))
        await patient.open(consultation.link("patient"))
        doctor_socket = await recorded(doctor, server, frames)
        patient_socket = await recorded(patient, server, frames)
        for socket, color, tone in (
            (doctor_socket, (200, 0, 0), 440),
            (patient_socket, (0, 0, 200), 880),
        ):
            clients.append(MediaClient(socket, [ColorVideoTrack(color), ToneAudioTrack(tone)]))
            await clients[-1].join()
        for client in clients:
            await client.consumer("video")
        media = clients[0]
        transport = media.recv_transport.id
        consumer = media.consumers[0].id
        producer = media.producers[0].id
        for method, data in (
            ("getPeers", {}),
            ("getIceServers", {}),
            ("getTransportStats", {"transportId": transport}),
            ("restartIce", {"transportId": transport}),
            ("setMaxReceiveBitrate", {"transportId": transport, "bitrate": 500_000}),
            ("getConsumerStats", {"consumerId": consumer}),
            ("requestConsumerKeyFrame", {"consumerId": consumer}),
            ("pauseConsumer", {"consumerId": consumer}),
            ("resumeConsumer", {"consumerId": consumer}),
            ("getProducerStats", {"producerId": producer}),
            ("pauseProducer", {"producerId": producer}),
            ("resumeProducer", {"producerId": producer}),
            ("sendMessage", {"text": "hello"}),
            ("sendMessage", {"text": ""}),  # refused: an ok false answer
        ):
            await doctor_socket.request(method, data)
        await patient.http.post(
            "/session/infos", json={"data": {"weight": 70}}, headers=patient.auth()
        )
        await late.open(consultation.link("patient"))
        waiting = await doctor_socket.event("newSessionToValidate")
        late_socket = await recorded(late, server, frames)
        await doctor_socket.request("closeProducer", {"producerId": producer})
        await patient_socket.event("consumerClosed")
        # Admitted in the patient's place: the first device is told, and its socket closes.
        await doctor.http.post(
            "/validate", json={"sessionId": waiting["session"]["id"]}, headers=doctor.auth()
        )
        await late_socket.event("newSessionIsValidate")
        await patient_socket.event("sessionReplaced")
        await doctor_socket.event("peerLeft")
        await doctor.http.delete(f"/onetoone/{consultation.token}", headers=doctor.auth())
        await doctor_socket.event("consultationEnded")
    finally:
        for client in clients:
            await client.close()
        for participant in (doctor, patient, late):
            await participant.close()

    seen = check(document, frames)
    for expected in (
        "request.join",
        "answer.produce",
        "serverRequest.newConsumer",
        "serverAnswer.newConsumer",
        "notification.infoUpdate",
        "notification.newMessage",
        "notification.newSessionToValidate",
        "notification.newSessionIsValidate",
        "notification.peerJoined",
        "notification.peerLeft",
        "notification.consumerClosed",
        "notification.consultationEnded",
        "answer.setMaxReceiveBitrate",
    ):
        assert expected in seen, expected


def test_the_document_lists_every_method_and_event():
    from app.ws.contract import ASYNCAPI

    names = set(messages(ASYNCAPI))
    served = set(DISPATCHER.methods())
    assert {f"request.{m}" for m in served} <= names
    assert {n.split(".", 1)[1] for n in names if n.startswith("request.")} == served
    sent = set()
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                callee = ast.unparse(node.func)
                if callee == "Event" or callee.endswith(("notify_soon", ".notify")):
                    sent.add(node.args[0].value)
                if callee.endswith("peer.request") and isinstance(node.args[0].value, str):
                    sent.add(node.args[0].value)
    assert {n for n in sent if isinstance(n, str)} <= {
        n.split(".", 1)[1] for n in names if n.startswith(("notification.", "serverRequest."))
    }
