"""End-to-end encryption's key agreement through the real server: public keys announced to
the validated sockets only, wrapped keys to one socket only, none to the waiting room, and
clear refusals of what is not a key."""

import asyncio
import os
from collections.abc import Callable

import httpx
import psycopg

from tests.client import Participant, Socket, create_consultation
from tests.e2ee_keys import KeyPair
from tests.server import RunningServer


async def encrypted(server: RunningServer, http: httpx.AsyncClient, participant):
    consultation = await create_consultation(http, server.operator_key, e2ee=True)
    doctor, patient = participant(), participant()
    await doctor.open(consultation.link("medecin"))
    await patient.open(consultation.link("patient"))
    return consultation, doctor, patient


def sender_key(pair: KeyPair, socket_id: str, to: KeyPair) -> dict:
    return {
        "socketId": socket_id,
        "publicKey": pair.public,
        "index": 0,
        "key": pair.wrap(to.public, os.urandom(16)),
    }


async def test_the_option_is_in_the_answers(
    server: RunningServer, http: httpx.AsyncClient, participant: Callable[[], Participant]
):
    plain = await http.post("/onetoone", headers={"Authorization": f"Bearer {server.operator_key}"})
    assert plain.json()["onetoone"]["e2ee"] is False  # the setting's default
    _, doctor, _ = await encrypted(server, http, participant)
    assert doctor.session["e2ee"] is True
    auth = {"Authorization": f"Bearer {server.operator_key}"}
    for body in ({"e2ee": "yes"}, {"e2ee": 1}):
        refused = await http.post("/onetoone", headers=auth, json=body)
        assert refused.status_code == 400, body
        assert refused.json() == {"msg": "options not valid: e2ee must be true or false"}
    for body in ([], {"other": True}):
        refused = await http.post("/onetoone", headers=auth, json=body)
        assert refused.status_code == 400, body
        assert refused.json() == {
            "msg": "options not valid: an object of e2ee (true or false) and doctor_name (text)"
        }


async def test_keys_go_to_the_validated_sockets_only(
    server: RunningServer, http: httpx.AsyncClient, participant: Callable[[], Participant]
):
    consultation, doctor, patient = await encrypted(server, http, participant)
    doctor_socket, patient_socket = await doctor.socket(), await patient.socket()
    # The patient's link opened again elsewhere: a session in the waiting room.
    waiting = participant()
    await waiting.open(consultation.link("patient"))
    assert waiting.session["validate_fromadmin"] == 0
    waiting_socket = await waiting.socket()
    doctor_keys, patient_keys, waiting_keys = KeyPair(), KeyPair(), KeyPair()

    announced = await doctor_socket.request("announceE2eeKey", {"publicKey": doctor_keys.public})
    doctor_socket_id = announced["data"]["socketId"]
    heard = await patient_socket.event("e2eeKey")
    assert heard == {
        "peerId": doctor.session["id"],
        "socketId": doctor_socket_id,
        "role": "medecin",
        "publicKey": doctor_keys.public,
    }
    answer = await patient_socket.request("announceE2eeKey", {"publicKey": patient_keys.public})
    patient_socket_id = answer["data"]["socketId"]
    assert (await doctor_socket.event("e2eeKey"))["socketId"] == patient_socket_id

    sent = await patient_socket.request(
        "sendE2eeKey", sender_key(patient_keys, doctor_socket_id, doctor_keys)
    )
    assert sent["ok"] is True, sent
    received = await doctor_socket.event("e2eeSenderKey")
    assert received["socketId"] == patient_socket_id and received["role"] == "patient"
    assert len(doctor_keys.unwrap(received["publicKey"], received["key"])) == 16

    # The waiting socket heard nothing, may say nothing, and cannot be handed a key.
    refused = await waiting_socket.request("announceE2eeKey", {"publicKey": waiting_keys.public})
    assert refused["errorReason"] == "waiting for the doctor's validation"
    waiting_id = await socket_id_of(server, waiting_socket, waiting.session["id"])
    to_waiting = await doctor_socket.request(
        "sendE2eeKey", sender_key(doctor_keys, waiting_id, waiting_keys)
    )
    assert to_waiting["errorReason"] == "that socket is waiting for the doctor's validation"
    await waiting_socket.no_event("e2eeKey", wait=0.3)
    await waiting_socket.no_event("e2eeSenderKey", wait=0)
    # The server logs no key, public or wrapped.
    log = server.log()
    assert doctor_keys.public not in log and received["key"] not in log
    # Nor does the sender hear its own announcement.
    await doctor_socket.no_event("e2eeSenderKey", wait=0)
    assert all(
        f.get("method") != "e2eeKey" or f["data"]["socketId"] != doctor_socket_id
        for f in doctor_socket.notifications
    )


async def socket_id_of(server: RunningServer, socket: Socket, session_id: int) -> str:
    """A socket's id, which its session learns only once admitted: read from the database."""
    with psycopg.connect(server.database_url, autocommit=True) as db:
        (row,) = db.execute(
            "SELECT id FROM live_socket WHERE session_id = %s", (session_id,)
        ).fetchall()
    return str(row[0])


async def test_bad_keys_and_sockets_are_refused(
    server: RunningServer, http: httpx.AsyncClient, participant: Callable[[], Participant]
):
    _, doctor, _ = await encrypted(server, http, participant)
    socket = await doctor.socket()
    pair = KeyPair()
    for bad in (
        "",
        "A" * 87,
        pair.public + "=",
        pair.public[:-1],
        "\u0000" * 87,
        7,
        None,
        pair.public[:-2] + "?!",
    ):
        answer = await socket.request("announceE2eeKey", {"publicKey": bad})
        assert answer["ok"] is False and "publicKey" in answer["errorReason"], bad
    good = sender_key(pair, "1", pair)
    cases = {
        # ...and a socket id in fullwidth digits, which int() would read.
        "socketId": ["abc", "-1", "0", str(2**62), 12, "1" * 40, "\uff11\uff12"],
        "index": [-1, 256, 2**70, "0", True],
        "key": ["", "A" * 31, pair.public],
    }
    for field, values in cases.items():
        for value in values:
            answer = await socket.request("sendE2eeKey", {**good, field: value})
            assert answer["ok"] is False and field in answer["errorReason"], (field, value)
    unknown = await socket.request("sendE2eeKey", good)
    assert unknown["errorReason"] == "no such socket in this consultation"
    # Another consultation's socket is not one of this one.
    other = await create_consultation(http, server.operator_key, e2ee=True)
    stranger = participant()
    await stranger.open(other.link("medecin"))
    stranger_socket = await stranger.socket()
    stranger_id = await socket_id_of(server, stranger_socket, stranger.session["id"])
    crossing = await socket.request("sendE2eeKey", {**good, "socketId": stranger_id})
    assert crossing["errorReason"] == "no such socket in this consultation"
    await stranger_socket.no_event("e2eeSenderKey", wait=0.3)


async def test_a_consultation_in_clear_has_no_keys(
    server: RunningServer, http: httpx.AsyncClient, participant: Callable[[], Participant]
):
    consultation = await create_consultation(http, server.operator_key)
    doctor = participant()
    await doctor.open(consultation.link("medecin"))
    assert doctor.session["e2ee"] is False
    socket = await doctor.socket()
    answer = await socket.request("announceE2eeKey", {"publicKey": KeyPair().public})
    assert answer["errorReason"] == "this consultation is not end-to-end encrypted"


async def test_many_keys_at_once_each_reach_their_socket_once(
    server: RunningServer, http: httpx.AsyncClient, participant: Callable[[], Participant]
):
    """A busy page: announcements and twenty sender keys sent at once on one socket, to one
    socket, are each answered and each delivered once, in full."""
    _, doctor, patient = await encrypted(server, http, participant)
    doctor_socket, patient_socket = await doctor.socket(), await patient.socket()
    doctor_keys, patient_keys = KeyPair(), KeyPair()
    announced = await doctor_socket.request("announceE2eeKey", {"publicKey": doctor_keys.public})
    doctor_socket_id = announced["data"]["socketId"]
    sent = {index: os.urandom(16) for index in range(20)}
    requests = [
        patient_socket.request(
            "sendE2eeKey",
            {
                "socketId": doctor_socket_id,
                "publicKey": patient_keys.public,
                "index": index,
                "key": patient_keys.wrap(doctor_keys.public, key),
            },
        )
        for index, key in sent.items()
    ]
    requests += [
        patient_socket.request("announceE2eeKey", {"publicKey": patient_keys.public})
        for _ in range(5)
    ]
    answers = await asyncio.gather(*requests)
    assert all(answer["ok"] for answer in answers), answers
    received = await doctor_socket.events("e2eeSenderKey", 20)
    assert {k["index"]: doctor_keys.unwrap(k["publicKey"], k["key"]) for k in received} == sent
    assert len(await doctor_socket.events("e2eeKey", 5)) == 5
    await asyncio.sleep(0.5)
    assert len([f for f in doctor_socket.notifications if f["method"] == "e2eeSenderKey"]) == 20
