"""Media set-up answers the request first and makes consumers apart from it: a client that
never answers ``newConsumer`` delays neither the producer nor the other receivers."""

import asyncio
import time
from collections.abc import Callable
from typing import Any

from tests.client import Consultation, Participant
from tests.raw_media import join, produce, record_consumers, settled


async def test_a_client_that_never_accepts_its_consumer_delays_nobody(
    consultation: Consultation, participant: Callable[[], Participant]
):
    doctor, patient, guest = participant(), participant(), participant()
    for who, role in ((doctor, "medecin"), (patient, "patient"), (guest, "guest")):
        assert (await who.open(consultation.link(role))).status_code == 200
    doctor_socket, patient_socket, guest_socket = [
        await who.socket() for who in (doctor, patient, guest)
    ]

    silent: list[dict[str, Any]] = []

    async def never_answer(method: str, data: dict[str, Any]) -> dict[str, Any]:
        silent.append(data)
        await asyncio.Event().wait()  # the server's request times out after 15 s
        return {}

    guest_socket.on_request = never_answer
    offered = record_consumers(doctor_socket)
    await join(guest_socket, consuming=True)
    await join(doctor_socket, consuming=True)
    sending = await join(patient_socket)

    started = time.monotonic()
    answers = [await produce(patient_socket, sending, 1000 + i) for i in range(2)]
    answered = time.monotonic() - started
    assert all(a["ok"] for a in answers), answers
    # The doctor accepted both streams at once, while the guest still sits on its offers.
    await settled(lambda: len(offered) == 2, timeout=3)
    accepted = time.monotonic() - started
    assert len(silent) == 2
    assert answered < 3 and accepted < 3, (answered, accepted)

    # A late joiner is answered at once too, although the guest still has not answered.
    late = participant()
    assert (await late.open(consultation.link("medecin"))).status_code == 200
    late_socket = await late.socket()
    late_offers = record_consumers(late_socket)
    started = time.monotonic()
    await join(late_socket, consuming=True)
    assert time.monotonic() - started < 3
    await settled(lambda: len(late_offers) == 2, timeout=3)
