"""Webhooks against a real HTTP receiver on loopback: what a clinic's backend is told, signed,
retried while it is down, kept across a ``kill -9`` of the service, and never with medical
content or a secret in it."""

import asyncio
import hashlib
import hmac
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.client import Participant, create_consultation
from tests.fresh_db import fresh_database
from tests.server import RunningServer, hocovisio
from tests.test_cli_monitor import hocovisio as cli
from tests.webhook_receiver import Receiver, receiver

SECRET = "whsec-" + os.urandom(8).hex()
PDF = b"%PDF-1.4\n% lab results\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
DIAGNOSIS = "Angine streptococcique, amoxicilline 1 g"
FILE_NAME = "Dupont_Jeanne_bilan_sanguin.pdf"
CHAT = "J'ai de la fievre depuis trois jours"


def verify(secret: str, header: str, body: bytes, tolerance: float = 300) -> bool:
    """What a receiver does with ``HOCOVISIO-Signature`` (the docs' ten lines)."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(fields["t"])
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


@pytest.fixture
def own_database(database_url: str) -> Iterator[str]:
    """A database of its own: the deliverer posts every event it finds there."""
    with fresh_database(database_url) as url:
        yield url


@pytest.fixture
def hooks() -> Iterator[Receiver]:
    with receiver() as made:
        yield made


def webhook_env(hooks: Receiver, **more: str) -> dict[str, str]:
    return {
        "HOCOVISIO_WEBHOOK_URLS": json.dumps([hooks.url]),
        "HOCOVISIO_WEBHOOK_SECRET": SECRET,
        "HOCOVISIO_WEBHOOK_RETRY_DELAY": "0.2",
        **more,
    }


async def until(condition, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


async def end(server: RunningServer, token: str) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        ended = await http.delete(
            f"/onetoone/{token}", headers={"Authorization": f"Bearer {server.operator_key}"}
        )
    assert ended.status_code == 200, ended.text


async def new_consultation(server: RunningServer):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        return await create_consultation(http, server.operator_key)


async def test_a_consultation_told_to_the_clinic(
    own_database: str, hooks: Receiver, tmp_path: Path
) -> None:
    with hocovisio(own_database, tmp_path, extra_env=webhook_env(hooks)) as server:
        consultation = await new_consultation(server)
        doctor = Participant(server.base_url, server.ws_url)
        patient = Participant(server.base_url, server.ws_url)
        second_device = Participant(server.base_url, server.ws_url)
        try:
            await doctor.open(consultation.link("medecin"))
            await doctor.socket()
            await patient.open(consultation.link("patient"))
            patient_socket = await patient.socket()
            form = await patient.http.post(
                "/session/infos", json={"data": {"diagnosis": DIAGNOSIS}}, headers=patient.auth()
            )
            assert form.status_code == 200
            chat = await patient.http.post("/message", json={"text": CHAT}, headers=patient.auth())
            assert chat.status_code == 200
            upload = await patient.http.post(
                "/upload-file",
                files={"document": (FILE_NAME, PDF, "application/pdf")},
                headers=patient.auth(),
            )
            assert upload.status_code == 200, upload.text
            await second_device.open(consultation.link("patient"))  # into the waiting room
            await patient_socket.close()
            await until(lambda: len(hooks.events("participant.left")) == 1)
            await end(server, consultation.token)
            await until(lambda: len(hooks.events("consultation.ended")) == 1)
            await until(lambda: len(hooks.events("participant.left")) == 2)
        finally:
            for participant in (doctor, patient, second_device):
                await participant.close()

    onetoone_id = consultation.id
    doctor_id, patient_id = doctor.session["id"], patient.session["id"]  # type: ignore[index]
    # Posted several at once: they may arrive in any order (``created_at`` says when).
    joined = sorted((e["data"] for e in hooks.events("participant.joined")), key=str)
    assert joined == [
        {"onetoone_id": onetoone_id, "session_id": doctor_id, "role": "medecin"},
        {"onetoone_id": onetoone_id, "session_id": patient_id, "role": "patient"},
    ]
    assert doctor_id < patient_id
    [waiting] = hooks.events("participant.waiting")
    assert waiting["data"] == {
        "onetoone_id": onetoone_id,
        "session_id": second_device.session["id"],  # type: ignore[index]
        "role": "patient",
    }
    [uploaded] = hooks.events("document.uploaded")
    assert uploaded["data"] == {
        "onetoone_id": onetoone_id,
        "session_id": patient_id,
        "role": "patient",
        "document_id": upload.json()["document"]["id"],
        "content_type": "application/pdf",
        "size": len(PDF),
    }
    [ended] = hooks.events("consultation.ended")
    assert ended["data"] == {"onetoone_id": onetoone_id, "reason": "killed"}
    assert {e["data"]["session_id"] for e in hooks.events("participant.left")} == {
        doctor_id,
        patient_id,
    }

    secrets_and_phi = [
        DIAGNOSIS,
        FILE_NAME,
        "Dupont",
        CHAT,
        consultation.token,
        *(s["token"] for s in consultation.sessions.values()),
        doctor.credential,
        patient.credential,
        second_device.credential,
        SECRET,
    ]
    for post in hooks.received:
        assert verify(SECRET, post.headers["HOCOVISIO-Signature"], post.body), post.headers
        assert not verify("another-secret", post.headers["HOCOVISIO-Signature"], post.body)
        assert post.headers["HOCOVISIO-Event"] == post.event["type"]
        text = post.body.decode()
        for value in secrets_and_phi:
            assert value is None or value not in text, (value, text)
    assert len({post.event["id"] for post in hooks.received}) == len(hooks.received)
    assert DIAGNOSIS not in server.log() and SECRET not in server.log()


async def test_retried_until_the_receiver_answers(
    own_database: str, hooks: Receiver, tmp_path: Path
) -> None:
    hooks.status = 503
    # A receiver's key may travel in its URL, as a password or in the query.
    keyed = hooks.url.replace("://", "://clinic:pw-4321@") + "?key=k-8765"
    env = {**webhook_env(hooks), "HOCOVISIO_WEBHOOK_URLS": json.dumps([keyed])}
    with hocovisio(own_database, tmp_path, extra_env=env) as server:
        consultation = await new_consultation(server)
        await end(server, consultation.token)
        await until(lambda: hooks.refused >= 3)
        assert hooks.received == []
        hooks.status = 200
        await until(lambda: len(hooks.events("consultation.ended")) == 1)
        await asyncio.sleep(1)
        assert len(hooks.received) == 1  # delivered once, then no more
        log = server.log()
    assert "webhook consultation.ended delivery" in log and "HTTP 503" in log
    assert hooks.url.split("/hooks")[1] not in log  # the URL's path is not logged
    assert "pw-4321" not in log and "k-8765" not in log


async def test_an_answer_trickled_past_the_timeout_is_a_failure(
    own_database: str, hooks: Receiver, tmp_path: Path
) -> None:
    """A receiver must answer within the timeout, the whole answer: one that sends its
    answer a byte at a time (each within the timeout) is given up on, and retried."""
    hooks.trickle = 3.0
    env = webhook_env(hooks, HOCOVISIO_WEBHOOK_TIMEOUT="1")
    with hocovisio(own_database, tmp_path, extra_env=env) as server:
        consultation = await new_consultation(server)
        await end(server, consultation.token)
        await until(lambda: len(hooks.received) == 1)
        posted_at = time.monotonic()
        await until(lambda: "TimeoutError (attempt 1, will retry)" in server.log(), timeout=10)
        assert time.monotonic() - posted_at < 2.5  # given up at 1 s, not after the 3 s
        hooks.trickle = 0
        await until(lambda: len(hooks.received) >= 2)  # posted again, and answered at once


async def test_no_event_lost_across_a_kill_9(
    own_database: str, hooks: Receiver, tmp_path: Path
) -> None:
    hooks.status = 503
    env = webhook_env(hooks)
    with hocovisio(own_database, tmp_path / "first", extra_env=env) as server:
        consultation = await new_consultation(server)
        await end(server, consultation.token)
        await until(lambda: hooks.refused >= 1)
        server.process.kill()
        server.process.wait()
    hooks.status = 200
    with hocovisio(own_database, tmp_path / "second", extra_env=env):
        await until(lambda: len(hooks.events("consultation.ended")) == 1)
    [ended] = hooks.events("consultation.ended")
    assert ended["data"] == {"onetoone_id": consultation.id, "reason": "killed"}


async def test_dead_after_the_last_attempt_shown_and_retried(
    own_database: str, hooks: Receiver, tmp_path: Path
) -> None:
    hooks.status = 500
    env = webhook_env(hooks, HOCOVISIO_WEBHOOK_MAX_ATTEMPTS="2")
    with hocovisio(own_database, tmp_path, extra_env=env) as server:
        consultation = await new_consultation(server)
        await end(server, consultation.token)
        await until(lambda: hooks.refused >= 2)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
            for _ in range(50):
                metrics = (await http.get("/metrics")).text
                if "hocovisio_webhook_deliveries_dead 1.0" in metrics:
                    break
                await asyncio.sleep(0.1)
        assert "hocovisio_webhook_deliveries_dead 1.0" in metrics
        assert "hocovisio_webhook_posts_dead_total 1.0" in metrics
        await asyncio.sleep(0.5)
        assert hooks.refused == 2  # no third attempt

        listed = cli(own_database, tmp_path, "webhooks", "dead")
        assert listed.startswith("1 dead delivery")
        assert "consultation.ended" in listed and "HTTP 500" in listed
        hooks.status = 200
        assert "queued again: 1" in cli(own_database, tmp_path, "webhooks", "dead", "--retry")
        await until(lambda: len(hooks.events("consultation.ended")) == 1)
    assert cli(own_database, tmp_path, "webhooks", "dead").startswith("0 dead deliveries")
