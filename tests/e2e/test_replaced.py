"""A page whose socket the server replaced (code 4002: the same session opened newer ones)
stops, instead of reconnecting and closing the newer ones in turn."""

import asyncio
from collections.abc import Callable

from playwright.async_api import expect

from tests.client import Participant
from tests.e2e.conftest import Browsers
from tests.e2e.test_consultation import join_path, new_consultation
from tests.server import RunningServer


async def test_a_replaced_page_stops_and_leaves_the_newer_sockets_alone(
    server: RunningServer, people: Browsers, participant: Callable[[], Participant]
) -> None:
    consultation = await new_consultation(server)
    page = await people.page(join_path(consultation, "medecin"))
    # Alone: connected to the server, but nobody's media flows yet.
    await expect(page.locator("#status")).to_have_text("Waiting for the patient…")

    # The doctor opens the consultation twice more elsewhere: same session, newer sockets.
    elsewhere = participant()
    await elsewhere.open(consultation.link("medecin"))
    sockets = [await elsewhere.socket() for _ in range(2)]
    await expect(page.get_by_role("heading", name="Opened elsewhere")).to_be_visible()

    # Longer than the page's first reconnection attempts: it made none.
    await asyncio.sleep(3)
    for socket in sockets:
        assert socket.connection.close_code is None
        assert (await socket.request("getPeers"))["ok"]
