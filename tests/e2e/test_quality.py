"""Connection quality as the pages show it: both sides read good, then fair or poor for the
patient once the SFU may send the patient only a trickle (its receive bitrate capped on the
worker), and good again when the cap is lifted."""

import re

from playwright.async_api import expect

from tests.e2e.conftest import Browsers
from tests.e2e.test_consultation import doctor_and_patient
from tests.server import RunningServer

TIMEOUT_MS = 20_000
RECOVERY_MS = 90_000
WORSE = re.compile(r"^(fair|poor)$")
WORSE_TEXT = re.compile(r"^Connection: (fair|poor)$")


async def test_a_patient_short_of_bandwidth_is_shown_on_both_pages(
    server: RunningServer, people: Browsers
) -> None:
    _, doctor, patient = await doctor_and_patient(server, people)
    on_doctor = doctor.locator(".tile.remote[data-role=patient] .quality")
    on_patient = patient.locator(".self .quality")
    for badge in (on_doctor, on_patient):
        await expect(badge).to_have_attribute("data-quality", "good", timeout=TIMEOUT_MS)

    # The SFU may send the patient 60 kbit/s: the doctor's camera layers no longer fit.
    await patient.evaluate("() => window.hocovisio.setMaxReceiveBitrate(60000)")
    for badge in (on_doctor, on_patient):
        await expect(badge).to_have_attribute("data-quality", WORSE, timeout=TIMEOUT_MS)
    await expect(on_patient).to_have_text(WORSE_TEXT)
    # The doctor's own connection is untouched.
    await expect(doctor.locator(".self .quality")).to_have_attribute("data-quality", "good")

    # Lifted: the SFU's estimate of the patient's downlink climbs back to the top layer, at
    # its own pace (slower on a busy machine).
    await patient.evaluate("() => window.hocovisio.setMaxReceiveBitrate(0)")
    for badge in (on_doctor, on_patient):
        await expect(badge).to_have_attribute("data-quality", "good", timeout=RECOVERY_MS)
