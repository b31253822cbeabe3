"""A consultation whose patient reaches the SFU only through the TURN relay, or only over
TCP, as from a hospital guest network that blocks the rest."""

import asyncio
import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.e2e.conftest import Browsers
from tests.e2e.test_consultation import doctor_and_patient, inbound, wait_for_media
from tests.server import RunningServer, hocovisio
from tests.turn_server import TurnServer, coturn


def turn_env(turn: TurnServer) -> dict[str, str]:
    """A service's settings to hand out coturn's address with credentials of its secret."""
    return {"HOCOVISIO_TURN_URLS": json.dumps([turn.url]), "HOCOVISIO_TURN_SECRET": turn.secret}


@pytest.fixture(scope="module")
def relayed_server(
    database_url: str, turn: TurnServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    folder = Path(tmp_path_factory.mktemp("relayed"))
    with hocovisio(database_url, folder, extra_env=turn_env(turn)) as server:
        yield server


async def frames_advance(page: Page, timeout: float = 15) -> None:
    """Wait until the page decodes new video frames (after a key frame, once a path is back)."""
    before = (await inbound(page))["video"]["framesDecoded"]
    async with asyncio.timeout(timeout):
        while (await inbound(page))["video"]["framesDecoded"] <= before:
            await asyncio.sleep(0.2)


async def paths(page: Page) -> list[dict[str, Any]]:
    """The page's transports' selected paths (local candidate type and protocol)."""
    await page.wait_for_function(
        "async () => (await window.hocovisio.paths()).length === 2", polling=200
    )
    return await page.evaluate("() => window.hocovisio.paths()")


async def test_patient_through_the_turn_relay_only(
    relayed_server: RunningServer, turn: TurnServer, browser
) -> None:
    people = Browsers(browser, relayed_server.base_url)
    try:
        _, doctor, patient = await doctor_and_patient(relayed_server, people, "?ice=relay")
        await expect(doctor.locator(".tile.remote[data-role=patient]")).to_be_visible()
        # Both of the patient's transports go through coturn; the doctor's do not.
        assert {p["candidateType"] for p in await paths(patient)} == {"relay"}
        assert {p["candidateType"] for p in await paths(doctor)} == {"host"}
        patient_id = await patient.evaluate("() => window.hocovisio.sessionId")
        allocations = [
            line
            for line in turn.log().splitlines()
            if f":{patient_id}>" in line and "ALLOCATE processed, success" in line
        ]
        assert len(allocations) >= 2, turn.log()[-4000:]
    finally:
        await people.close()
    assert people.errors == [], people.errors


async def test_patient_over_tcp_only(server: RunningServer, people: Browsers) -> None:
    _, doctor, patient = await doctor_and_patient(server, people, "?ice=tcp")
    assert {p["protocol"] for p in await paths(patient)} == {"tcp"}
    assert {p["protocol"] for p in await paths(doctor)} == {"udp"}


async def test_media_comes_back_through_an_ice_restart_when_the_path_breaks(
    database_url: str, browser, tmp_path: Path
) -> None:
    """The patient's only path, the relay, restarts (its allocations lost, as when a phone
    leaves a Wi-Fi): the page restarts ICE and media flows again, with no rejoin and no reload."""
    with ExitStack() as relays:
        turn = relays.enter_context(coturn(tmp_path / "coturn"))
        with hocovisio(database_url, tmp_path / "server", extra_env=turn_env(turn)) as server:
            people = Browsers(browser, server.base_url)
            try:
                _, doctor, patient = await doctor_and_patient(server, people, "?ice=relay")
                await patient.evaluate("() => { window.notReloaded = true; }")

                relays.close()  # the relay stops: its allocations are gone
                await expect(patient.locator("#status")).to_have_text(
                    "Reconnecting media…", timeout=20_000
                )
                relays.enter_context(coturn(tmp_path / "coturn", again=turn))
                await expect(patient.locator("#status")).to_have_text("Connected", timeout=30_000)
                await frames_advance(patient)
                await frames_advance(doctor)
                await wait_for_media(patient)
                await wait_for_media(doctor)
                assert await patient.evaluate("() => window.hocovisio.iceRestarts()") >= 1
                assert await patient.evaluate("() => window.hocovisio.mediaStarts()") == 1
                assert await patient.evaluate("() => window.notReloaded") is True
            finally:
                await people.close()
            assert people.errors == [], people.errors
