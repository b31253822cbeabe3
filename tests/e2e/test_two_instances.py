"""The browser client against two instances behind one address: nginx, round robin, nothing
sticky. Pages and API calls land on either, the doctor's socket on one and the patient's on
the other; the consultation works all the same."""

from pathlib import Path

from playwright.async_api import expect

from tests.e2e.conftest import Browsers
from tests.e2e.test_consultation import doctor_and_patient
from tests.fresh_db import fresh_database
from tests.load_balancer import nginx
from tests.server import instances


async def test_a_consultation_behind_a_load_balancer_of_two_instances(
    database_url: str, browser, tmp_path: Path
) -> None:
    with (
        fresh_database(database_url) as url,
        instances(url, tmp_path, 2) as pair,
        nginx(tmp_path / "nginx", pair) as balancer,
    ):
        people = Browsers(browser, balancer.base_url)
        try:
            _, doctor, patient = await doctor_and_patient(balancer, people)  # type: ignore[arg-type]
            await patient.locator(".chat-panel [name=message]").fill("Bonjour docteur")
            await patient.get_by_role("button", name="Send", exact=True).click()
            await expect(doctor.locator(".messages")).to_contain_text("Patient: Bonjour docteur")
        finally:
            await people.close()
        # Round robin: both instances served the pages, and each holds one page's socket, so
        # that the media and the chat crossed between them.
        for instance in pair:
            assert instance.log().count("hypercorn.access") > 3
            assert instance.log().count('"GET /ws 1.1" 101') == 1
