"""The pictures of docs/screenshots/: each state of the pages a patient and a doctor go
through, on a phone (390x844) or a desktop, taken from a real consultation (embedded
PostgreSQL, the real SFU, headless Chromium with its fake camera and microphone).

    MEDIASOUP_WORKER_BIN=... .venv/bin/python -m scripts.screenshots
"""

import asyncio
import tempfile
from pathlib import Path

import httpx
from playwright.async_api import Page, async_playwright, expect

from tests.client import Consultation, create_consultation
from tests.e2e.conftest import Browsers, launch
from tests.e2e.test_consultation import join_path, wait_for_media
from tests.server import RunningServer, hocovisio, postgres

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
PHONE = (390, 844)


async def shot(page: Page, name: str) -> None:
    await page.wait_for_timeout(400)  # transitions and the first frames settle
    await page.screenshot(path=OUT / f"{name}.png")


async def consultation(server: RunningServer) -> Consultation:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        return await create_consultation(http, server.operator_key)


async def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with postgres() as url, hocovisio(url, Path(tempfile.mkdtemp())) as server:
        async with async_playwright() as playwright:
            browser = await launch(playwright)
            asking = await launch(playwright, consent=False)
            people, refusing = Browsers(browser, server.base_url), Browsers(asking, server.base_url)
            made = await consultation(server)

            blocked = await refusing.page(join_path(made, "guest"), prejoin=True, viewport=PHONE)
            await expect(blocked.get_by_role("alert")).to_be_visible()
            await shot(blocked, "prejoin-permission-refused-phone")
            await refusing.close()

            doctor = await people.page(join_path(made, "medecin"))
            patient = await people.page(join_path(made, "patient"), prejoin=True, viewport=PHONE)
            await patient.wait_for_function("() => document.querySelector('.prejoin meter')?.value")
            await shot(patient, "prejoin-phone")
            await patient.get_by_role("button", name="Join", exact=True).click()
            await wait_for_media(patient)
            await wait_for_media(doctor)
            await expect(doctor.locator(".tile.remote .quality")).to_have_attribute(
                "data-quality", "good", timeout=20_000
            )
            await doctor.locator(".chat-panel [name=message]").fill(
                "Good morning, can you hear me?"
            )
            await doctor.get_by_role("button", name="Send", exact=True).click()
            await expect(patient.locator(".chat-button .badge")).to_have_text("1")
            await shot(patient, "consultation-phone-unread")
            await shot(doctor, "consultation-desktop-doctor")

            late = await people.page(join_path(made, "patient"), viewport=PHONE)
            await expect(late.locator(".waited")).to_be_visible()
            await shot(late, "waiting-room-phone")
            await expect(doctor.locator(".waiting-panel li")).to_have_count(1)
            await shot(doctor, "waiting-room-doctor")

            await patient.evaluate("() => window.hocovisio.setMaxReceiveBitrate(60000)")
            await expect(doctor.locator(".tile.remote .quality")).not_to_have_attribute(
                "data-quality", "good", timeout=20_000
            )
            await shot(doctor, "quality-drop-doctor")
            await patient.evaluate("() => window.hocovisio.setMaxReceiveBitrate(0)")

            await doctor.locator(".waiting-panel li").get_by_role("button", name="Admit").click()
            await expect(
                patient.get_by_role("heading", name="Continued on another device")
            ).to_be_visible()
            await shot(patient, "replaced-phone")
            third = await people.page(join_path(made, "patient"), viewport=PHONE)
            await expect(doctor.locator(".waiting-panel li")).to_have_count(1)
            await doctor.locator(".waiting-panel li").get_by_role("button", name="Refuse").click()
            await expect(
                third.get_by_role("heading", name="The doctor did not let you in")
            ).to_be_visible()
            await shot(third, "refused-phone")
            await people.close()
            await asking.close()
            await browser.close()
    print("\n".join(sorted(str(p.relative_to(OUT.parents[1])) for p in OUT.glob("*.png"))))


if __name__ == "__main__":
    asyncio.run(main())
