"""The camera as three simulcast layers, and a viewer's layer following its bandwidth: capped,
the doctor's consumer of the patient's camera falls to a lower spatial layer, and climbs back
once the cap is lifted."""

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from playwright.async_api import Page

from tests.e2e.conftest import Browsers
from tests.e2e.test_consultation import doctor_and_patient, wait_for_media
from tests.server import RunningServer

CAP_BITS = 200_000  # too little for the full-size layer, or the middle one at full frame rate
LAYER_TIMEOUT = 40.0


async def layers(page: Page) -> dict[str, Any]:
    """The spatial layer the SFU sends for each of the page's simulcast consumers now."""
    return await page.evaluate("() => window.hocovisio.layers()")


async def wait_for_layer(page: Page, accept: Any, timeout: float = LAYER_TIMEOUT) -> int:
    """Wait until the page's one simulcast consumer gets a spatial layer ``accept`` takes."""
    async with asyncio.timeout(timeout):
        while True:
            current = [v["spatialLayer"] for v in (await layers(page)).values()]
            if len(current) == 1 and current[0] is not None and accept(current[0]):
                return current[0]
            await asyncio.sleep(0.1)


async def test_simulcast_layers_follow_the_viewers_bandwidth(
    server: RunningServer, people: Browsers, artifacts: Path
) -> None:
    _, doctor, patient = await doctor_and_patient(server, people)

    # The patient's camera goes out as three encodings, each sending.
    async with asyncio.timeout(LAYER_TIMEOUT):
        while True:
            encodings = await patient.evaluate("() => window.hocovisio.outboundVideo()")
            if len(encodings) == 3 and all(e.get("bytesSent", 0) > 0 for e in encodings):
                break
            await asyncio.sleep(0.2)
    assert len({e["rid"] for e in encodings}) == 3, encodings

    # The doctor first gets an upper layer (which one depends on the tile's width).
    top = await wait_for_layer(doctor, lambda layer: layer >= 1)
    await doctor.evaluate(f"() => window.hocovisio.setMaxReceiveBitrate({CAP_BITS})")
    capped = time.monotonic()
    await wait_for_layer(doctor, lambda layer: layer < top)
    fell = time.monotonic() - capped
    await doctor.evaluate("() => window.hocovisio.setMaxReceiveBitrate(0)")
    lifted = time.monotonic()
    await wait_for_layer(doctor, lambda layer: layer >= top)
    climbed = time.monotonic() - lifted
    await wait_for_media(doctor)

    figures = {"top_layer": top, "fall_seconds": round(fell, 2), "climb_seconds": round(climbed, 2)}
    (artifacts / "simulcast.json").write_text(json.dumps(figures))
    print("simulcast adaptation:", figures)
