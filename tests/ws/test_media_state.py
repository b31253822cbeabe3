"""A participant's media state through the real server: said by its page, told to the
others, read back by who arrives later, and refused when it is not one of the choices."""

import asyncio
from collections.abc import Callable

from tests.client import Consultation, Participant


async def test_the_others_hear_what_a_page_sends(
    consultation: Consultation, participant: Callable[[], Participant]
):
    doctor, patient = participant(), participant()
    await doctor.open(consultation.link("medecin"))
    await patient.open(consultation.link("patient"))
    doctor_socket, patient_socket = await doctor.socket(), await patient.socket()
    # The patient refused the camera and joins with the microphone only.
    state = {"camera": "none", "microphone": "on"}
    assert (await patient_socket.request("setMediaState", state))["ok"]
    heard = await doctor_socket.event("mediaState")
    assert heard == {"peerId": patient.session["id"], **state}
    await patient_socket.no_event("mediaState", wait=0.2)
    # Then mutes: the doctor is told again.
    muted = {"camera": "none", "microphone": "muted"}
    assert (await patient_socket.request("setMediaState", muted))["ok"]
    assert await doctor_socket.event("mediaState") == {"peerId": patient.session["id"], **muted}

    # A guest who arrives now reads both states from getPeers (the doctor said none yet).
    guest = participant()
    await guest.open(consultation.link("guest"))
    peers = (await (await guest.socket()).request("getPeers"))["data"]["peers"]
    by_id = {p["id"]: p for p in peers}
    assert by_id[patient.session["id"]]["mediaState"] == muted
    assert "mediaState" not in by_id[doctor.session["id"]]


async def test_bad_states_are_refused(
    consultation: Consultation, participant: Callable[[], Participant]
):
    doctor, patient, waiting = participant(), participant(), participant()
    await doctor.open(consultation.link("medecin"))
    await patient.open(consultation.link("patient"))
    socket, doctor_socket = await patient.socket(), await doctor.socket()
    for bad, reason in (
        ({}, "camera must be one of on, off, none"),
        ({"camera": "on"}, "microphone must be one of on, muted, none"),
        ({"camera": "ON", "microphone": "on"}, "camera must be one of on, off, none"),
        (
            {"camera": "on", "microphone": "\u0000"},
            "frame.data.microphone: NUL characters are not allowed",
        ),
        ({"camera": ["on"], "microphone": "on"}, "camera must be one of on, off, none"),
        ({"camera": 2**62, "microphone": "on"}, "camera must be one of on, off, none"),
    ):
        answer = await socket.request("setMediaState", bad)
        assert answer["ok"] is False and answer["errorReason"] == reason, (bad, answer)
    await doctor_socket.no_event("mediaState", wait=0.3)
    # A socket in the waiting room says nothing to anyone.
    await waiting.open(consultation.link("patient"))
    pending = await waiting.socket()
    answer = await pending.request("setMediaState", {"camera": "on", "microphone": "on"})
    assert answer["errorReason"] == "waiting for the doctor's validation"
    await doctor_socket.no_event("mediaState", wait=0.3)


async def test_twenty_states_at_once_on_one_socket(
    consultation: Consultation, participant: Callable[[], Participant]
):
    """A page toggling fast: every state is answered and told once, and the one kept is one
    of them."""
    doctor, patient = participant(), participant()
    await doctor.open(consultation.link("medecin"))
    await patient.open(consultation.link("patient"))
    doctor_socket, socket = await doctor.socket(), await patient.socket()
    states = [
        {"camera": ("on", "off")[i % 2], "microphone": ("on", "muted")[i // 2 % 2]}
        for i in range(20)
    ]
    answers = await asyncio.gather(*(socket.request("setMediaState", s) for s in states))
    assert all(answer["ok"] for answer in answers), answers
    told = await doctor_socket.events("mediaState", 20)
    expected = [{"peerId": patient.session["id"], **state} for state in states]
    assert sorted(sorted(t.items()) for t in told) == sorted(sorted(e.items()) for e in expected)
    peers = (await doctor_socket.request("getPeers"))["data"]["peers"]
    assert peers[0]["mediaState"] in states
