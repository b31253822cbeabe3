"""A consultation held in two real browsers: media through the SFU, form, chat, documents,
the waiting room, mute, and the end, all through the pages a participant uses."""

import asyncio
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, expect

from tests.client import Consultation, create_consultation
from tests.e2e.conftest import NO_VIDEO, Browsers, accessibility_violations
from tests.server import RunningServer

PDF = b"%PDF-1.4\n% a small test report\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
TIMEOUT_MS = 15_000


async def inbound(page: Page) -> dict[str, dict[str, int]]:
    """The page's received media, summed by kind, from its receiving transport's getStats()."""
    entries: list[dict[str, Any]] = await page.evaluate("() => window.hocovisio.inboundStats()")
    totals: dict[str, dict[str, int]] = {}
    for entry in entries:
        kind = totals.setdefault(entry["kind"], {"packetsReceived": 0, "framesDecoded": 0})
        kind["packetsReceived"] += entry.get("packetsReceived") or 0
        kind["framesDecoded"] += entry.get("framesDecoded") or 0
    return totals


async def wait_for_media(page: Page, timeout: float = 15) -> dict[str, dict[str, int]]:
    """Wait until video frames are decoded and audio packets arrive, then check both grow
    (within a few seconds: a simulcast consumer moving up a layer waits for its key frame)."""
    await page.wait_for_function("() => window.hocovisio !== undefined")
    async with asyncio.timeout(timeout):
        while True:
            first = await inbound(page)
            video, audio = first.get("video", {}), first.get("audio", {})
            if video.get("framesDecoded", 0) > 0 and audio.get("packetsReceived", 0) > 0:
                break
            await asyncio.sleep(0.2)
    for _ in range(GROWTH_CHECKS):
        await asyncio.sleep(1)
        second = await inbound(page)
        video_grew = second["video"]["framesDecoded"] > first["video"]["framesDecoded"]
        if video_grew and second["audio"]["packetsReceived"] > first["audio"]["packetsReceived"]:
            return second
    raise AssertionError(f"media stopped: {first} then {second}")


GROWTH_CHECKS = 5


def join_path(consultation: Consultation, role: str) -> str:
    return f"/join/{consultation.token}/{consultation.sessions[role]['token']}"


async def new_consultation(server: RunningServer) -> Consultation:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        return await create_consultation(http, server.operator_key)


async def doctor_and_patient(
    server: RunningServer, people: Browsers, patient_query: str = "", locale: str = "en-US"
) -> tuple[Consultation, Page, Page]:
    """A new consultation whose doctor's and patient's pages receive each other's media
    (``patient_query``: the patient page's options, e.g. ``?ice=relay``)."""
    consultation = await new_consultation(server)
    doctor = await people.page(join_path(consultation, "medecin"), locale=locale)
    patient = await people.page(join_path(consultation, "patient") + patient_query, locale=locale)
    await wait_for_media(doctor)
    await wait_for_media(patient)
    return consultation, doctor, patient


async def test_doctor_and_patient_hold_a_consultation(
    server: RunningServer, people: Browsers, artifacts: Path
) -> None:
    consultation = await new_consultation(server)
    doctor = await people.page(join_path(consultation, "medecin"))
    patient = await people.page(join_path(consultation, "patient"))

    await wait_for_media(doctor)
    await wait_for_media(patient)
    for page in (doctor, patient):
        await expect(page.locator("#status")).to_have_text("Connected")
    await expect(doctor.locator(".tile.remote[data-role=patient]")).to_be_visible()
    await expect(patient.locator(".tile.remote[data-role=medecin]")).to_be_visible()
    # Each page shows the SFU's word on both connections.
    for page, other in ((doctor, "patient"), (patient, "medecin")):
        remote = page.locator(f".tile.remote[data-role={other}] .quality")
        await expect(remote).to_have_attribute("data-quality", "good", timeout=TIMEOUT_MS)
        await expect(page.locator(".self .quality")).to_have_text("Connection: good")
    assert await accessibility_violations(doctor) == []
    assert await accessibility_violations(patient) == []

    # The patient's questionnaire shows on the doctor's form as it is typed.
    await patient.locator(".form-panel [name=weight]").fill("72")
    await patient.locator(".form-panel [name=reason]").fill("Sore throat")
    await expect(doctor.locator(".form-panel [name=weight]")).to_have_value("72")
    await expect(doctor.locator(".form-panel [name=reason]")).to_have_value("Sore throat")

    # Chat, both ways.
    await patient.locator(".chat-panel [name=message]").fill("Hello doctor")
    await patient.get_by_role("button", name="Send", exact=True).click()
    await expect(doctor.locator(".messages")).to_contain_text("Patient: Hello doctor")
    await doctor.locator(".chat-panel [name=message]").fill("Hello, how are you?")
    await doctor.get_by_role("button", name="Send", exact=True).click()
    await expect(patient.locator(".messages")).to_contain_text("Doctor: Hello, how are you?")

    # A document from the doctor, downloaded by the patient with its own session.
    await doctor.locator(".chat-panel input[type=file]").set_input_files(
        files=[{"name": "report.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    await doctor.get_by_role("button", name="Send document").click()
    link = patient.locator(".messages a.document", has_text="report.pdf")
    await expect(link).to_be_visible()
    download = await patient.request.get(await link.get_attribute("href") or "")
    assert download.status == 200
    assert await download.body() == PDF

    # The patient turns the camera off and on: the doctor's tile follows.
    await patient.get_by_role("button", name="Turn camera off").click()
    await expect(doctor.locator(".tile.remote[data-role=patient]")).to_have_class(NO_VIDEO)
    await patient.get_by_role("button", name="Turn camera on").click()
    await expect(doctor.locator(".tile.remote[data-role=patient]")).not_to_have_class(NO_VIDEO)

    await doctor.screenshot(path=artifacts / "doctor.png", full_page=True)
    await patient.screenshot(path=artifacts / "patient.png", full_page=True)

    # Another client opening the patient's link waits until the doctor admits it: it sees how
    # long it has waited, the doctor sees the device, since when, and a count.
    late = await people.page(join_path(consultation, "patient"))
    await expect(late.get_by_role("heading", name="Waiting room")).to_be_visible()
    await expect(late.locator(".consultation")).to_have_count(0)
    await expect(late.locator(".waited")).to_contain_text("Waiting for 0:0")
    assert await accessibility_violations(late) == []
    waiting = doctor.locator(".waiting-panel li")
    await expect(waiting).to_have_count(1)
    await expect(waiting).to_contain_text("Patient on Chrome on Linux")
    await expect(waiting).to_contain_text("waiting since")
    await expect(doctor.locator(".waiting-panel .badge")).to_have_text("1")
    assert (await doctor.title()).startswith("(1) ")
    assert await accessibility_violations(doctor) == []
    # A doctor who reloads the page still finds the client waiting, listed once.
    await doctor.reload()
    await wait_for_media(doctor)
    await expect(waiting).to_have_count(1)
    # Admitted, replacing the first device (the default): that one is told and stops.
    await waiting.get_by_role("button", name="Admit").click()
    await expect(late.locator(".consultation")).to_be_visible(timeout=TIMEOUT_MS)
    await expect(late.locator(".form-panel [name=weight]")).to_have_value("72")
    await wait_for_media(late)
    await expect(waiting).to_have_count(0)
    await expect(doctor.locator(".waiting-panel")).to_be_hidden()
    await expect(patient.get_by_role("heading", name="Continued on another device")).to_be_visible()
    await expect(doctor.locator(".tile.remote[data-role=patient]")).to_have_count(1)
    await late.screenshot(path=artifacts / "admitted-patient.png", full_page=True)

    # A third device on the link, refused: it is told, and the doctor's list empties.
    refused = await people.page(join_path(consultation, "patient"))
    await expect(waiting).to_have_count(1)
    await waiting.get_by_role("button", name="Refuse").click()
    await expect(
        refused.get_by_role("heading", name="The doctor did not let you in")
    ).to_be_visible()
    await expect(waiting).to_have_count(0)
    assert await accessibility_violations(refused) == []
    # A fourth one gives up waiting: it drops off the doctor's list.
    gone = await people.page(join_path(consultation, "patient"))
    await expect(waiting).to_have_count(1)
    await gone.get_by_role("button", name="Leave").click()
    await expect(gone.get_by_role("heading", name="You left the waiting room")).to_be_visible()
    await expect(waiting).to_have_count(0)

    # The patient leaves; the doctor's page drops its tile.
    await late.get_by_role("button", name="Leave").click()
    await expect(late.get_by_role("heading", name="You left the consultation")).to_be_visible()
    await expect(doctor.locator(".tile.remote")).to_have_count(0, timeout=TIMEOUT_MS)
    await expect(doctor.locator("#status")).to_have_text("Waiting for the patient…")

    # The pages' addresses are their links: the log holds none of their tokens (the pages'
    # own requests and the Referer they would carry), nor what the patient wrote.
    log = server.log()
    assert "/join/***/***" in log
    tokens = [consultation.token, *(s["token"] for s in consultation.sessions.values())]
    assert [token for token in tokens if token in log] == []
    assert "Sore throat" not in log and "Hello doctor" not in log


async def test_ended_consultation_shows_the_end_screen(
    server: RunningServer, people: Browsers
) -> None:
    consultation = await new_consultation(server)
    doctor = await people.page(join_path(consultation, "medecin"))
    patient = await people.page(join_path(consultation, "patient"))
    await expect(patient.locator(".tile.remote[data-role=medecin]")).to_be_visible()

    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        ended = await http.delete(
            f"/onetoone/{consultation.token}",
            headers={"Authorization": f"Bearer {server.operator_key}"},
        )
    assert ended.status_code == 200, ended.text

    for page in (doctor, patient):
        await expect(page.get_by_role("heading", name="The consultation has ended")).to_be_visible()
    assert await accessibility_violations(patient) == []
    again = await people.page(join_path(consultation, "patient"))
    await expect(again.get_by_role("heading", name="This link cannot be used")).to_be_visible()


async def test_operator_page_creates_a_consultation(
    server: RunningServer, people: Browsers
) -> None:
    operator = await people.page("/")
    await operator.get_by_placeholder("Operator key").fill("not the key")
    await operator.get_by_role("button", name="New consultation").click()
    await expect(operator.locator(".error")).to_contain_text(
        "No consultation created: operator key not valid"
    )

    await operator.get_by_placeholder("Operator key").fill(server.operator_key)
    await operator.get_by_role("button", name="New consultation").click()
    links = operator.locator(".link-list li")
    await expect(links).to_have_count(3)
    assert await accessibility_violations(operator) == []
    await links.first.get_by_role("button", name="Copy").click()
    await expect(links.first.get_by_role("button", name="Copied")).to_be_visible()
    doctor_link = await links.filter(has_text="Doctor").locator("a").get_attribute("href")
    assert doctor_link is not None and "/join/" in doctor_link

    doctor = await people.page(doctor_link)
    await expect(doctor.get_by_role("heading", name="Doctor — consultation")).to_be_visible()
    await expect(doctor.locator(".waiting-panel")).to_be_attached()  # shown once someone waits
