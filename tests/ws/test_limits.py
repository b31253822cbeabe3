"""A hostile participant's bursts against the real server and worker: media objects per
socket and sockets per session stay within their limits, however concurrent the requests."""

import asyncio
from collections.abc import Callable

from tests.client import Consultation, Participant, Socket
from tests.raw_media import join, ok, produce, record_consumers, settled

# The defaults (app/settings.py).
MAX_TRANSPORTS, MAX_PRODUCERS, MAX_CONSUMERS, MAX_SOCKETS = 4, 8, 32, 2
CLOSE_REPLACED = 4002


async def test_concurrent_transports_stop_at_the_limit(
    consultation: Consultation, participant: Callable[[], Participant]
):
    doctor = participant()
    await doctor.open(consultation.link("medecin"))
    socket = await doctor.socket()
    request = {"producing": True, "consuming": False}
    answers = await asyncio.gather(
        *(socket.request("createWebRtcTransport", request) for _ in range(30))
    )
    created = [answer["data"]["id"] for answer in answers if answer["ok"]]
    refused = [answer["errorReason"] for answer in answers if not answer["ok"]]
    assert len(created) == MAX_TRANSPORTS
    assert set(refused) == {"createWebRtcTransport: too many transports (at most 4)"}
    for transport_id in created:  # each one exists on the worker
        await ok(socket, "getTransportStats", {"transportId": transport_id})

    # The limit is the socket's: its media goes with it, and the next socket starts afresh.
    await socket.close()
    again = await doctor.socket()
    answers = await asyncio.gather(
        *(again.request("createWebRtcTransport", request) for _ in range(6))
    )
    assert sum(answer["ok"] for answer in answers) == MAX_TRANSPORTS


async def test_concurrent_producers_stop_at_the_limit_and_slots_come_back(
    consultation: Consultation, participant: Callable[[], Participant]
):
    doctor, patient = participant(), participant()
    await doctor.open(consultation.link("medecin"))
    await patient.open(consultation.link("patient"))
    doctor_socket, patient_socket = await doctor.socket(), await patient.socket()
    offered = record_consumers(doctor_socket)
    await join(doctor_socket, consuming=True)
    transport_id = await join(patient_socket)

    answers = await asyncio.gather(
        *(produce(patient_socket, transport_id, 1000 + n, {"source": "mic"}) for n in range(60))
    )
    producers = [answer["data"]["id"] for answer in answers if answer["ok"]]
    refused = {answer["errorReason"] for answer in answers if not answer["ok"]}
    assert len(producers) == MAX_PRODUCERS
    assert refused == {"produce: too many producers (at most 8)"}
    await settled(lambda: len(offered) == MAX_PRODUCERS)
    await asyncio.sleep(0.5)
    assert len(offered) == MAX_PRODUCERS  # the doctor was offered only those
    assert {o["producerId"] for o in offered} == set(producers)
    # Each names who sends it: the patient's session and its one socket.
    sockets = {o["appData"].pop("socketId") for o in offered}
    assert len(sockets) == 1 and sockets.pop().isdecimal()
    assert all(o["appData"] == {"source": "mic", "peerId": patient.session["id"]} for o in offered)

    # A closed producer gives its slot back; a creation the worker refuses (an SSRC already
    # in use) takes none.
    await ok(patient_socket, "closeProducer", {"producerId": producers[0]})
    for _ in range(3):
        failed = await produce(patient_socket, transport_id, 1001)
        assert failed["ok"] is False
        assert "too many" not in failed["errorReason"], failed
    assert (await produce(patient_socket, transport_id, 2000))["ok"]
    full = await produce(patient_socket, transport_id, 2001)
    assert full["errorReason"] == "produce: too many producers (at most 8)"


async def test_a_receiver_gets_consumers_up_to_its_limit(
    consultation: Consultation, participant: Callable[[], Participant]
):
    doctor, patient, guest = participant(), participant(), participant()
    for client, role in ((doctor, "medecin"), (patient, "patient"), (guest, "guest")):
        await client.open(consultation.link(role))
    receiver = await doctor.socket()
    offered = record_consumers(receiver)
    await join(receiver, consuming=True)
    # Five sockets (two per session at most) sending eight streams each: 40 streams.
    senders = [await doctor.socket()] + [await c.socket() for c in (patient, guest, patient, guest)]
    transports = [await join(sender) for sender in senders]
    asked = [pair for pair in zip(senders, transports, strict=True) for _ in range(MAX_PRODUCERS)]
    answers = await asyncio.gather(
        *(
            produce(sender, transport_id, 10_000 + n)
            for n, (sender, transport_id) in enumerate(asked)
        )
    )
    assert all(answer["ok"] for answer in answers), answers  # the receiver's limit is its own
    owners = {answer["data"]["id"]: pair for answer, pair in zip(answers, asked, strict=True)}
    await settled(lambda: len(offered) == MAX_CONSUMERS)
    await asyncio.sleep(0.5)
    assert len(offered) == MAX_CONSUMERS

    # A consumer that closes (its producer did) frees a slot for the next stream.
    owner, transport_id = owners[offered[0]["producerId"]]
    await ok(owner, "closeProducer", {"producerId": offered[0]["producerId"]})
    assert (await receiver.event("consumerClosed"))["consumerId"] == offered[0]["id"]
    assert (await produce(owner, transport_id, 99_999))["ok"]
    await settled(lambda: len(offered) == MAX_CONSUMERS + 1)


async def closed_with(socket: Socket, timeout: float = 5.0) -> int | None:
    await asyncio.wait_for(socket.connection.wait_closed(), timeout)
    return socket.connection.close_code


async def test_a_session_keeps_its_newest_sockets_and_is_announced_once(
    consultation: Consultation, participant: Callable[[], Participant]
):
    doctor, patient = participant(), participant()
    await doctor.open(consultation.link("medecin"))
    await patient.open(consultation.link("patient"))
    doctor_socket = await doctor.socket()
    patient_id = patient.session["id"]

    first, second, third = [await patient.socket() for _ in range(3)]
    assert await closed_with(first) == CLOSE_REPLACED  # the oldest goes
    for socket in (second, third):
        assert (await socket.request("getPeers"))["ok"]

    # A burst of sockets with the same credential: only the newest two stay.
    burst = await asyncio.gather(*(patient.socket() for _ in range(20)))
    sockets = [second, third, *burst]
    await settled(lambda: sum(s.connection.close_code is None for s in sockets) == MAX_SOCKETS)
    gone = [s for s in sockets if s.connection.close_code is not None]
    assert {s.connection.close_code for s in gone} == {CLOSE_REPLACED}
    alive = [s for s in sockets if s.connection.close_code is None]
    for socket in alive:
        assert (await socket.request("getPeers"))["ok"]

    # The doctor saw the patient arrive once, and leave once, when the last socket closed.
    assert await doctor_socket.event("peerJoined") == {"peerId": patient_id, "role": "patient"}
    await doctor_socket.no_event("peerJoined")
    assert all(f.get("method") != "peerLeft" for f in doctor_socket.notifications)
    await alive[0].close()
    await doctor_socket.no_event("peerLeft")
    await alive[1].close()
    assert await doctor_socket.event("peerLeft") == {"peerId": patient_id}
    await doctor_socket.no_event("peerLeft")
