"""The pages in French for a French-speaking browser: the consultation, the form, chat, the
waiting room and the end, each page checked with axe-core."""

from playwright.async_api import expect

from tests.e2e.conftest import Browsers, accessibility_violations
from tests.e2e.test_consultation import doctor_and_patient, join_path
from tests.server import RunningServer

FRENCH = "fr-FR"


async def test_a_consultation_in_french(server: RunningServer, people: Browsers) -> None:
    operator = await people.page("/", locale=FRENCH)
    await expect(operator.get_by_role("heading", name="Nouvelle consultation")).to_be_visible()
    assert await operator.evaluate("() => document.documentElement.lang") == "fr"
    assert await accessibility_violations(operator) == []

    consultation, doctor, patient = await doctor_and_patient(server, people, locale=FRENCH)
    await expect(doctor.get_by_role("heading", name="Médecin — consultation")).to_be_visible()
    await expect(patient.get_by_role("heading", name="Patient — consultation")).to_be_visible()
    await expect(doctor.locator("#status")).to_have_text("Connecté")
    await expect(doctor.get_by_role("heading", name="Dossier médical")).to_be_visible()
    await expect(patient.get_by_role("heading", name="Questionnaire")).to_be_visible()

    await patient.get_by_label("Poids (kg)").fill("64")
    await expect(doctor.get_by_label("Poids (kg)")).to_have_value("64")
    await patient.get_by_label("Message", exact=True).fill("Bonjour docteur")
    await patient.get_by_role("button", name="Envoyer", exact=True).click()
    await expect(doctor.locator(".messages")).to_contain_text("Patient: Bonjour docteur")
    await patient.get_by_role("button", name="Couper la caméra").click()
    await expect(patient.get_by_role("button", name="Allumer la caméra")).to_be_visible()
    for page in (doctor, patient):
        assert await accessibility_violations(page) == []

    late = await people.page(join_path(consultation, "patient"), locale=FRENCH)
    await expect(late.get_by_role("heading", name="Salle d'attente")).to_be_visible()
    assert await accessibility_violations(late) == []
    await doctor.locator(".waiting-panel li").get_by_role("button", name="Faire entrer").click()
    await expect(late.locator(".consultation")).to_be_visible()
    replaced = patient.get_by_role("heading", name="Poursuivie sur un autre appareil")
    await expect(replaced).to_be_visible()

    await late.get_by_role("button", name="Quitter").click()
    left = late.get_by_role("heading", name="Vous avez quitté la consultation")
    await expect(left).to_be_visible()
    assert await accessibility_violations(late) == []
