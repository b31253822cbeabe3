"""The pages join the media again by themselves when the SFU loses it (``mediaReset``)."""

import os
import signal

import psutil
from playwright.async_api import expect

from tests.e2e.conftest import Browsers
from tests.e2e.test_consultation import join_path, new_consultation, wait_for_media
from tests.server import RunningServer


def worker_pids(server: RunningServer) -> list[int]:
    children = psutil.Process(server.process.pid).children(recursive=True)
    return [child.pid for child in children if child.name().startswith("mediasoup-work")]


async def test_pages_rejoin_the_media_after_the_worker_dies(
    server: RunningServer, people: Browsers
) -> None:
    consultation = await new_consultation(server)
    doctor = await people.page(join_path(consultation, "medecin"))
    patient = await people.page(join_path(consultation, "patient"))
    await wait_for_media(doctor)
    await wait_for_media(patient)

    for pid in worker_pids(server):
        os.kill(pid, signal.SIGKILL)

    for page in (doctor, patient):
        await expect(page.get_by_text("The media connection was reset")).to_be_visible()
    for page in (doctor, patient):
        await wait_for_media(page, timeout=30)
        await expect(page.locator("#status")).to_have_text("Connected")
