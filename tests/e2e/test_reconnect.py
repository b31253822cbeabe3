"""The pages get their socket back by themselves when the service restarts: media, chat and
the remote tiles work again, with no page reload."""

from pathlib import Path
from urllib.parse import urlsplit

from playwright.async_api import Browser, expect

from tests.e2e.conftest import Browsers
from tests.e2e.test_consultation import join_path, new_consultation, wait_for_media
from tests.server import hocovisio, stop


async def test_pages_reconnect_after_a_restart(
    database_url: str, browser: Browser, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    with hocovisio(database_url, data_dir) as first:
        people = Browsers(browser, first.base_url)
        try:
            consultation = await new_consultation(first)
            doctor = await people.page(join_path(consultation, "medecin"))
            patient = await people.page(join_path(consultation, "patient"))
            await wait_for_media(doctor)
            await wait_for_media(patient)

            stop(first.process)
            for page in (doctor, patient):
                await expect(page.locator("#status")).to_have_text("Reconnecting…")

            port = urlsplit(first.base_url).port
            with hocovisio(
                database_url, data_dir, port=port, operator_key=first.operator_key
            ) as second:
                assert second.base_url == first.base_url
                await doctor.fill(".chat-panel [name=message]", "Back after the restart?")
                for page in (doctor, patient):
                    await expect(page.locator("#status")).to_have_text("Connected", timeout=60_000)
                    await wait_for_media(page, timeout=30)
                await doctor.get_by_role("button", name="Send", exact=True).click()
                await expect(
                    patient.locator(".messages li", has_text="Back after the restart?")
                ).to_have_count(1)
                await expect(patient.locator(".tile.remote")).to_have_count(1)
        finally:
            await people.close()
    assert people.errors == [], people.errors
