"""An end-to-end encrypted consultation in two real browsers, and what crosses the server:
the pages decode each other, a client without the keys receives frames it cannot open, a
client in the waiting room is handed no key, and one that left cannot open what follows."""

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import aiortc.rtcrtpreceiver
import av
import httpx
import pytest
from playwright.async_api import Page, Playwright, expect

from tests.client import Participant, Socket, create_consultation
from tests.e2e.colour_and_tone import heard_frequency, shown_colour
from tests.e2e.conftest import Browsers, launch
from tests.e2e.test_consultation import join_path, wait_for_media
from tests.e2ee_keys import KeyPair, decrypt_vp8, key_index, verification_code
from tests.media_client import MediaClient
from tests.media_files import write_colour, write_tone
from tests.server import RunningServer
from tests.ws.test_media import close_to

# The remote camera's picture as the page shows it: its size, once a decrypted frame is decoded.
PICTURE = "() => document.querySelector('.tile.remote video')?.videoWidth || 0"


class Frames:
    """Every VP8 frame this process's aiortc receivers depacketise, as it came through the
    SFU (before decoding): aiortc's decoder factory, wrapped."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.vp8: list[bytes] = []
        real = aiortc.rtcrtpreceiver.get_decoder

        def capturing(codec: Any) -> Any:
            decoder = real(codec)
            if codec.mimeType.lower() != "video/vp8":
                return decoder
            frames = self.vp8

            class Capturing:
                def decode(self, encoded_frame: Any) -> list[Any]:
                    data = bytes(encoded_frame.data)
                    # Not the SFU's bandwidth probes (zeros): a delta frame, or a key frame's
                    # start code (both in the header that stays clear).
                    if data[0] & 1 or data[3:6] == b"\x9d\x01\x2a":
                        frames.append(data)
                    try:
                        return decoder.decode(encoded_frame)
                    except av.FFmpegError:
                        return []

            return Capturing()

        monkeypatch.setattr(aiortc.rtcrtpreceiver, "get_decoder", capturing)

    async def after(self, mark: int, count: int = 40, timeout: float = 15) -> list[bytes]:
        async with asyncio.timeout(timeout):
            while len(self.vp8) < mark + count:
                await asyncio.sleep(0.1)
        return self.vp8[mark:]


def decoded_pictures(frames: list[bytes]) -> int:
    """How many pictures libvpx makes of these frames, from the first key frame on."""
    codec = av.CodecContext.create("libvpx", "r")
    first_key = next(i for i, frame in enumerate(frames) if not frame[0] & 1)
    pictures = 0
    for frame in frames[first_key:]:
        with contextlib.suppress(av.FFmpegError):
            pictures += len(codec.decode(av.Packet(frame)))
    return pictures


def opened(frame: bytes, held: dict[int, dict[int, bytes]]) -> bytes | None:
    for keys in held.values():
        plain = decrypt_vp8(frame, keys)
        if plain is not None:
            return plain
    return None


async def guest_joins(server: RunningServer, link: str) -> tuple[Participant, Socket]:
    guest = Participant(server.base_url, server.ws_url)
    assert (await guest.open(link)).status_code == 200
    return guest, await guest.socket()


# Each side's camera and microphone, in its own browser: a colour and a tone apiece.
DOCTOR_SENDS = ((200, 40, 40), 440.0)
PATIENT_SENDS = ((40, 40, 200), 880.0)


async def shows_and_plays(page: Page, sent: tuple[tuple[int, int, int], float]) -> None:
    """The page shows the other side's colour and plays its tone (to a Web Audio bin)."""
    colour, frequency = sent
    async with asyncio.timeout(15):
        while not close_to(await shown_colour(page) or (0, 0, 0), colour):
            await asyncio.sleep(0.3)
        while abs((await heard_frequency(page) or 0) - frequency) > 15:
            await asyncio.sleep(0.3)


async def test_each_page_sees_and_hears_the_other(
    server: RunningServer, playwright: Playwright, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        consultation = await create_consultation(http, server.operator_key, e2ee=True)
    pages: dict[str, Page] = {}
    browsers: list[Browsers] = []
    for role, (colour, tone) in (("medecin", DOCTOR_SENDS), ("patient", PATIENT_SENDS)):
        browser = await launch(
            playwright,
            f"--use-file-for-fake-video-capture={write_colour(tmp_path / f'{role}.y4m', colour)}",
            f"--use-file-for-fake-audio-capture={write_tone(tmp_path / f'{role}.wav', tone)}",
            "--autoplay-policy=no-user-gesture-required",
        )
        browsers.append(Browsers(browser, server.base_url))
        pages[role] = await browsers[-1].page(join_path(consultation, role))
    try:
        await shows_and_plays(pages["medecin"], PATIENT_SENDS)
        await shows_and_plays(pages["patient"], DOCTOR_SENDS)
        for page in pages.values():
            counts = await page.evaluate("() => window.hocovisio.e2ee.counts()")
            assert counts["encrypted"] > 50 and counts["decrypted"] > 50, counts
        # The doctor's microphone, muted then back: the patient stops hearing the tone.
        await pages["medecin"].get_by_role("button", name="Mute microphone").click()
        async with asyncio.timeout(10):
            while abs((await heard_frequency(pages["patient"]) or 0) - DOCTOR_SENDS[1]) <= 15:
                await asyncio.sleep(0.3)
        await pages["medecin"].get_by_role("button", name="Unmute microphone").click()
        await shows_and_plays(pages["patient"], DOCTOR_SENDS)
    finally:
        for people in browsers:
            await people.close()
            await people.browser.close()
    assert [error for people in browsers for error in people.errors] == []


async def test_the_server_forwards_what_it_cannot_open(
    server: RunningServer, people: Browsers, monkeypatch: pytest.MonkeyPatch
) -> None:
    frames = Frames(monkeypatch)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        consultation = await create_consultation(http, server.operator_key, e2ee=True)
    doctor = await people.page(join_path(consultation, "medecin"))
    patient = await people.page(join_path(consultation, "patient"))
    await wait_for_media(doctor)
    await wait_for_media(patient)

    # Each page decrypts what the other sends: a picture that is not blank, and sound.
    for page in (doctor, patient):
        counts = await page.evaluate("() => window.hocovisio.e2ee.counts()")
        assert counts["encrypted"] > 50 and counts["decrypted"] > 50, counts
        await page.wait_for_function(PICTURE)
        audio = [
            s
            for s in await page.evaluate("() => window.hocovisio.inboundStats()")
            if s["kind"] == "audio"
        ]
        assert sum(s.get("totalAudioEnergy") or 0 for s in audio) > 0, audio
    # Both pages show the code of both public keys.
    doctor_key = await doctor.evaluate("() => window.hocovisio.e2ee.publicKey()")
    patient_key = await patient.evaluate("() => window.hocovisio.e2ee.publicKey()")
    code = verification_code(doctor_key, patient_key)
    await expect(doctor.locator(".security .code")).to_have_text(code)
    await expect(patient.locator(".security .code")).to_have_text(code)

    # A guest that takes part in the key agreement opens the frames the SFU forwards it.
    guest, socket = await guest_joins(server, consultation.link("guest"))
    pair = KeyPair()
    assert (await socket.request("announceE2eeKey", {"publicKey": pair.public}))["ok"]
    handed = await socket.events("e2eeSenderKey", 2)
    held = {k["peerId"]: {k["index"]: pair.unwrap(k["publicKey"], k["key"])} for k in handed}
    sessions = {
        await page.evaluate("() => window.hocovisio.sessionId") for page in (doctor, patient)
    }
    assert set(held) == sessions
    media = MediaClient(socket, [])
    await media.join()
    seen = await frames.after(0)
    plain = [opened(frame, held) for frame in seen]
    assert sum(p is not None for p in plain) == len(seen)
    assert decoded_pictures([p for p in plain if p is not None]) > 10
    # What crossed the server is not VP8 a decoder can read: no picture from the frames as is.
    assert decoded_pictures(seen) == 0
    await media.close()
    await guest.close()

    # The guest left: both pages make a new sender key for each other only.
    for page in (doctor, patient):
        await page.wait_for_function("() => window.hocovisio.e2ee.index() === 1")
    # The guest's link, opened again: the waiting room, where no key reaches it.
    again, waiting = await guest_joins(server, consultation.link("guest"))
    assert again.session["validate_fromadmin"] == 0
    await expect(doctor.locator(".waiting li")).to_be_visible()
    await waiting.no_event("e2eeKey", wait=1)
    admitted = await doctor.evaluate(
        "(id) => fetch('/validate', {method: 'POST', headers: {'Content-Type':"
        " 'application/json'}, body: JSON.stringify({sessionId: id})}).then((r) => r.status)",
        again.session["id"],
    )
    assert admitted == 200
    await waiting.event("newSessionIsValidate")
    assert not [f for f in waiting.notifications if str(f.get("method", "")).startswith("e2ee")]
    # Admitted but holding only the old keys, it receives frames it cannot open.
    mark = len(frames.vp8)
    media = MediaClient(waiting, [])
    await media.join()
    later = await frames.after(mark, count=60)
    # The pages' frames name the new key (the SFU's probes, which pass too, name none).
    assert sum(key_index(frame) == 1 for frame in later) >= 10
    assert all(opened(frame, held) is None for frame in later)
    old_keys = [key for keys in held.values() for key in keys.values()]
    assert all(decrypt_vp8(frame, {1: key}) is None for frame in later for key in old_keys)
    assert decoded_pictures(later) == 0
    await media.close()
    await again.close()


async def test_two_tabs_of_one_session_are_each_opened(
    server: RunningServer, people: Browsers
) -> None:
    """Each socket sends with its own key: the doctor opens the frames of a patient's two tabs
    (one session, two sockets), neither read with the other's key."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        consultation = await create_consultation(http, server.operator_key, e2ee=True)
    doctor = await people.page(join_path(consultation, "medecin"))
    patient = await people.page(join_path(consultation, "patient"))
    second_tab = await patient.context.new_page()
    second_tab.on("pageerror", lambda error: people.errors.append(str(error)))
    await second_tab.goto(join_path(consultation, "patient"))
    for page in (doctor, patient, second_tab):
        await wait_for_media(page)
    sessions = [
        await page.evaluate("() => window.hocovisio.sessionId") for page in (patient, second_tab)
    ]
    assert sessions[0] == sessions[1]

    async def doctor_counts() -> dict[str, int]:
        return await doctor.evaluate("() => window.hocovisio.e2ee.counts()")

    # Both tabs' keys reach the doctor within a few seconds; from then on every frame opens.
    async with asyncio.timeout(15):
        while True:
            before = await doctor_counts()
            await asyncio.sleep(3)
            after = await doctor_counts()
            if after["failed"] == before["failed"] and after["noKey"] == before["noKey"]:
                break
    # Two tabs' camera and microphone: about twice what one sends in 3 s (25 frames and 50
    # packets a second each).
    assert after["decrypted"] - before["decrypted"] > 300, (before, after)
