"""A consultation on a phone (390x844): the doctor's video takes the width, every control is
a 44 px touch target, a message arriving below the fold is counted on the Messages button,
and no popup covers a control."""

from playwright.async_api import Page, expect

from tests.e2e.conftest import Browsers, accessibility_violations
from tests.e2e.test_consultation import join_path, new_consultation, wait_for_media
from tests.server import RunningServer

PHONE = (390, 844)


async def boxes(page: Page, selector: str) -> list[dict[str, float]]:
    return await page.evaluate(
        "(s) => [...document.querySelectorAll(s)].filter((e) => e.offsetParent)"
        ".map((e) => e.getBoundingClientRect().toJSON())",
        selector,
    )


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["right"] <= b["left"]
        or b["right"] <= a["left"]
        or a["bottom"] <= b["top"]
        or b["bottom"] <= a["top"]
    )


async def test_a_consultation_on_a_phone(server: RunningServer, people: Browsers) -> None:
    consultation = await new_consultation(server)
    doctor = await people.page(join_path(consultation, "medecin"))
    patient = await people.page(join_path(consultation, "patient"), viewport=PHONE)
    await wait_for_media(patient)
    await wait_for_media(doctor)

    (video,) = await boxes(patient, ".tile.remote")
    assert video["width"] >= PHONE[0] - 1, video
    for button in await boxes(patient, "button"):
        assert button["height"] >= 44 and button["width"] >= 44, button

    # A message from the doctor while the patient's chat is below the fold: counted.
    await patient.evaluate("() => window.scrollTo(0, 0)")
    await doctor.locator(".chat-panel [name=message]").fill("Can you hear me?")
    await doctor.get_by_role("button", name="Send", exact=True).click()
    badge = patient.locator(".chat-button .badge")
    await expect(badge).to_have_text("1")
    await expect(patient.get_by_role("button", name="Messages 1 unread")).to_be_visible()
    # A popup (the doctor leaves and comes back) covers no control.
    await doctor.reload()
    await expect(patient.locator(".notices .notice").first).to_be_visible()
    for notice in await boxes(patient, ".notices .notice"):
        for button in await boxes(patient, "button"):
            assert not overlap(notice, button), (notice, button)
    assert await accessibility_violations(patient) == []
    # Opened: the chat shows the message, and the count goes.
    await patient.get_by_role("button", name="Messages 1 unread").click()
    await expect(patient.locator(".messages")).to_contain_text("Doctor: Can you hear me?")
    await expect(badge).to_be_hidden()
