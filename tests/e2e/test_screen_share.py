"""The doctor shares a screen: the patient sees it apart from the doctor's camera, and it goes
away when the doctor stops it, from the page or from the browser's own "stop sharing"."""

import asyncio

from playwright.async_api import Page, expect

from tests.e2e.conftest import NO_VIDEO, Browsers
from tests.e2e.test_consultation import doctor_and_patient, wait_for_media
from tests.server import RunningServer


async def screen_frames(page: Page) -> int:
    """Frames the page has shown of the shared screen's video."""
    return await page.evaluate(
        "() => document.querySelector('.screen-share video')"
        "?.getVideoPlaybackQuality().totalVideoFrames ?? 0"
    )


async def wait_for_screen(page: Page) -> None:
    await expect(page.locator(".screen-share")).to_have_count(1)
    async with asyncio.timeout(15):
        while await screen_frames(page) == 0:
            await asyncio.sleep(0.2)


async def test_doctor_shares_a_screen(server: RunningServer, people: Browsers) -> None:
    _, doctor, patient = await doctor_and_patient(server, people)

    await doctor.get_by_role("button", name="Share screen").click()
    await expect(doctor.get_by_role("button", name="Stop sharing")).to_be_visible()
    await wait_for_screen(patient)
    await expect(patient.locator(".screen-share figcaption")).to_have_text("Doctor's screen")
    # The camera stays in the doctor's tile, beside the screen.
    doctor_tile = patient.locator(".tile.remote[data-role=medecin]")
    await expect(doctor_tile).not_to_have_class(NO_VIDEO)
    await wait_for_media(patient)

    await doctor.get_by_role("button", name="Stop sharing").click()
    await expect(patient.locator(".screen-share")).to_have_count(0)

    # Shared again, then ended by the browser (its "stop sharing" bar ends the track).
    await doctor.get_by_role("button", name="Share screen").click()
    await wait_for_screen(patient)
    await doctor.evaluate("() => window.hocovisio.endScreenCapture()")
    await expect(patient.locator(".screen-share")).to_have_count(0)
    await expect(doctor.get_by_role("button", name="Share screen")).to_be_visible()
