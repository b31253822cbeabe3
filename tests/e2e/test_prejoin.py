"""The step before joining, on a phone: a refused camera and microphone explained and tried
again, and a patient who joins without a camera, which the doctor's page shows as such."""

from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, Playwright, expect

from tests.client import create_consultation
from tests.e2e.conftest import Browsers, accessibility_violations, launch
from tests.e2e.test_consultation import inbound, join_path, new_consultation, wait_for_media
from tests.server import RunningServer

PHONE = (390, 844)


@pytest.fixture
async def asking_browser(playwright: Playwright) -> AsyncIterator[Browser]:
    """A browser that does not say yes to the camera and microphone by itself."""
    browser = await launch(playwright, consent=False)
    yield browser
    await browser.close()


async def test_a_refused_camera_is_explained_then_tried_again(
    server: RunningServer, people: Browsers, asking_browser: Browser
) -> None:
    consultation = await new_consultation(server)
    doctor = await people.page(join_path(consultation, "medecin"))
    patients = Browsers(asking_browser, server.base_url)
    try:
        patient = await patients.page(
            join_path(consultation, "patient"), prejoin=True, viewport=PHONE
        )
        await expect(patient.get_by_role("alert")).to_contain_text(
            "Your browser did not allow the camera and microphone."
        )
        await expect(patient.get_by_role("alert")).to_contain_text("address bar")
        assert await accessibility_violations(patient) == []
        # The person allows them in the browser, then tries again.
        await patient.context.grant_permissions(["camera", "microphone"])
        await patient.get_by_role("button", name="Try again").click()
        await expect(patient.get_by_role("alert")).to_be_hidden()
        await patient.wait_for_function(
            "() => document.querySelector('.prejoin video').videoWidth > 0"
        )
        await patient.wait_for_function("() => document.querySelector('.prejoin meter').value > 0")
        assert await patient.locator(".prejoin select[name=camera] option").count() >= 1
        await patient.get_by_role("button", name="Join", exact=True).click()
        await wait_for_media(patient)
        await wait_for_media(doctor)
        tile = doctor.locator(".tile.remote[data-role=patient]")
        await expect(tile).to_have_attribute("data-camera", "on")
        await expect(tile).to_have_attribute("data-microphone", "on")
    finally:
        await patients.close()
    assert patients.errors == []


async def test_a_patient_joins_without_camera_and_the_doctor_is_told(
    server: RunningServer, people: Browsers
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        consultation = await create_consultation(
            http, server.operator_key, doctor_name="Dr Élise Martin"
        )
    doctor = await people.page(join_path(consultation, "medecin"))
    patient = await people.page(join_path(consultation, "patient"), prejoin=True, viewport=PHONE)
    await expect(
        patient.get_by_role("heading", name="Check your camera and microphone")
    ).to_be_visible()
    assert await accessibility_violations(patient) == []
    await patient.get_by_role("button", name="Join without camera", exact=True).click()
    await wait_for_media(patient)
    await expect(patient.get_by_role("heading", level=1)).to_have_text(
        "Patient — consultation with Dr Élise Martin"
    )
    tile = doctor.locator(".tile.remote[data-role=patient]")
    await expect(tile).to_have_attribute("data-camera", "none")
    await expect(tile.locator(".placeholder")).to_have_text("No camera")
    # The doctor hears the patient, and sees no video from them.
    await doctor.wait_for_function(
        "() => window.hocovisio.inboundStats().then((s) =>"
        " s.some((e) => e.kind === 'audio' && e.packetsReceived > 0))"
    )
    assert "video" not in await inbound(doctor)
    # The patient's own preview says the camera is off; muting is told to the doctor too.
    await expect(patient.locator(".own-video .placeholder")).to_be_visible()
    await patient.get_by_role("button", name="Mute microphone").click()
    await expect(tile).to_have_attribute("data-microphone", "muted")
    await expect(tile.locator(".mic-state")).to_have_text("Muted")
    assert await accessibility_violations(doctor) == []
