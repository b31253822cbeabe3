"""A waiting device's life, as the pages show it: the doctor sees which device in the call
admitting it would replace; a waiting page that closes leaves the room at once (its beacon);
a device the doctor refused that opens the link again is refused again, without waiting."""

import asyncio
import re
from pathlib import Path

from playwright.async_api import expect

from tests.e2e.conftest import Browsers, accessibility_violations
from tests.e2e.test_consultation import join_path, new_consultation
from tests.server import RunningServer

# The first patient's phone, as its browser says it (Chrome's reduced User-Agent, which names
# no model): the doctor reads "Chrome on Android".
ANDROID = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/126.0.0.0 Mobile Safari/537.36"
)
# Well below the server's grace for a waiting session without a socket (15 s by default):
# what leaves within it left by the page's beacon.
GONE_MS = 5_000
TIMEOUT_MS = 15_000


async def test_waiting_devices_are_named_leave_when_closed_and_stay_refused(
    server: RunningServer, people: Browsers, artifacts: Path
) -> None:
    consultation = await new_consultation(server)
    doctor = await people.page(join_path(consultation, "medecin"))
    patient = await people.page(join_path(consultation, "patient"), user_agent=ANDROID)
    await expect(patient.locator(".consultation")).to_be_visible(timeout=TIMEOUT_MS)
    await expect(doctor.locator(".tile.remote[data-role=patient]")).to_be_visible(
        timeout=TIMEOUT_MS
    )

    # (a) The link opened on another device waits; the doctor reads whom admitting it would
    # put out of the call, while replacing is ticked.
    waiting_page = await people.page(join_path(consultation, "patient"))
    await expect(waiting_page.get_by_role("heading", name="Waiting room")).to_be_visible()
    waiting = doctor.locator(".waiting-panel li")
    await expect(waiting).to_have_count(1)
    await expect(waiting).to_contain_text("Patient on Chrome on Linux")
    replaces = waiting.locator(".replaces")
    await expect(replaces).to_be_visible()
    await expect(replaces).to_contain_text(
        "Admitting replaces Chrome on Android, in the call since"
    )
    # Said to a screen reader with the Admit button too.
    admit = waiting.get_by_role("button", name="Admit")
    await expect(admit).to_have_accessible_description(
        re.compile(r"^Admitting replaces Chrome on Android, in the call since \d")
    )
    assert await accessibility_violations(doctor) == []
    await doctor.screenshot(path=artifacts / "waiting-replaces-doctor.png", full_page=True)
    # Admitting without replacing puts nobody out: nothing is said.
    checkbox = waiting.get_by_role("checkbox")
    await checkbox.uncheck()
    await expect(replaces).to_be_hidden()
    assert await admit.get_attribute("aria-describedby") is None
    await checkbox.check()
    await expect(replaces).to_be_visible()

    # (b) The waiting page closes: it leaves the room through its beacon, at once.
    await waiting_page.close()
    await expect(waiting).to_have_count(0, timeout=GONE_MS)
    await expect(doctor.locator(".waiting-panel")).to_be_hidden()

    # (c) A device the doctor refuses is told so; opening the link again, it is told again and
    # does not come back to the doctor's list.
    refused = await people.page(join_path(consultation, "patient"))
    await expect(refused.get_by_role("heading", name="Waiting room")).to_be_visible()
    await expect(waiting).to_have_count(1)
    await waiting.get_by_role("button", name="Refuse").click()
    refusal = refused.get_by_role("heading", name="The doctor did not let you in")
    await expect(refusal).to_be_visible()
    await expect(waiting).to_have_count(0)
    await refused.reload()
    await expect(refusal).to_be_visible()
    await expect(refused.get_by_text("You can close this page.")).to_be_visible()
    await expect(refused.get_by_role("heading", name="Waiting room")).to_have_count(0)
    assert await accessibility_violations(refused) == []
    # Longer than a new arrival takes to reach the doctor: none came.
    await asyncio.sleep(2)
    await expect(waiting).to_have_count(0)
    await expect(doctor.locator(".waiting-panel")).to_be_hidden()
    # The patient in the call was never disturbed.
    await expect(patient.locator(".consultation")).to_be_visible()
