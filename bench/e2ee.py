"""End-to-end encryption's cost on the page: a consultation in clear beside an encrypted one,
in the same run, in headless Chromium (fake camera and microphone, the browser client).

For each mode, rounds interleaved: a doctor's and a patient's page receive each other's
media, then over ``--seconds``:

- CPU (with Chromium's fake camera): the renderer processes' CPU time, from Chromium's own
  process metrics (``SystemInfo.getProcessInfo`` over the DevTools protocol), per page and
  per second.
- Glass to glass (in rounds of their own): the milliseconds from the sender's camera to the
  receiver's screen, frame by frame and both ways, read off the picture (see
  ``_glass_to_glass``: the camera is a canvas that shows the time).
- Where it goes: what each frame spends in the browsers, from their WebRTC statistics. On the
  sender, encoding (``totalEncodeTime``) and pacing (``totalPacketSendDelay``); on the
  receiver, the jitter buffer (``jitterBufferDelay``) and decoding (``totalProcessingDelay``,
  which includes the decrypting transform). The network is loopback.

    MEDIASOUP_WORKER_BIN=... .venv/bin/python -m bench.e2ee [--seconds 20] [--rounds 2]
"""

import argparse
import asyncio
import tempfile
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.client import create_consultation
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, SKIP_PREJOIN
from tests.e2e.test_consultation import join_path, wait_for_media
from tests.server import RunningServer, hocovisio, postgres

from ._common import machine, median, percentile
from ._glass_to_glass import STAMPED_CAMERA, latencies, start_reading


async def renderer_cpu(browser: Browser) -> float:
    """The CPU seconds of every renderer process so far."""
    session = await browser.new_browser_cdp_session()
    info = await session.send("SystemInfo.getProcessInfo")
    await session.detach()
    return sum(p["cpuTime"] for p in info["processInfo"] if p["type"] == "renderer")


async def delays(page: Page) -> dict[str, float]:
    """The page's sums of per-frame delays (seconds) and the counts they are over."""
    totals = {"encode": 0.0, "encoded": 0.0, "send": 0.0, "sent": 0.0}
    for entry in await page.evaluate("() => window.hocovisio.outboundVideo()"):
        totals["encode"] += entry.get("totalEncodeTime") or 0
        totals["encoded"] += entry.get("framesEncoded") or 0
        totals["send"] += entry.get("totalPacketSendDelay") or 0
        totals["sent"] += entry.get("packetsSent") or 0
    totals.update(buffer=0.0, emitted=0.0, decode=0.0, decoded=0.0)
    for entry in await page.evaluate("() => window.hocovisio.inboundStats()"):
        if entry["kind"] != "video":
            continue
        totals["buffer"] += entry.get("jitterBufferDelay") or 0
        totals["emitted"] += entry.get("jitterBufferEmittedCount") or 0
        totals["decode"] += entry.get("totalProcessingDelay") or 0
        totals["decoded"] += entry.get("framesDecoded") or 0
    return totals


def per(after: dict[str, float], before: dict[str, float], total: str, count: str) -> float:
    frames = after[count] - before[count]
    return (after[total] - before[total]) / frames if frames else 0.0


async def consultation_pages(
    browser: Browser, server: RunningServer, e2ee: bool, stamped: bool
) -> tuple[list[BrowserContext], list[Page]]:
    """A doctor's and a patient's page receiving each other's media, their layers settled."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        consultation = await create_consultation(http, server.operator_key, e2ee=e2ee)
    contexts, pages = [], []
    for role in ("medecin", "patient"):
        context = await browser.new_context(base_url=server.base_url)
        await context.add_init_script(SKIP_PREJOIN)
        if stamped:
            await context.add_init_script(STAMPED_CAMERA)
        contexts.append(context)
        pages.append(await context.new_page())
        await pages[-1].goto(join_path(consultation, role))
    for page in pages:
        await wait_for_media(page)
    await asyncio.sleep(3)  # the simulcast layers settle
    return contexts, pages


async def measure_cost(
    browser: Browser, server: RunningServer, e2ee: bool, seconds: float
) -> dict[str, float]:
    """CPU and the statistics' delays, with Chromium's fake camera."""
    contexts, pages = await consultation_pages(browser, server, e2ee, stamped=False)
    cpu_before = await renderer_cpu(browser)
    before = [await delays(page) for page in pages]
    await asyncio.sleep(seconds)
    cpu = (await renderer_cpu(browser) - cpu_before) / seconds / len(pages)
    after = [await delays(page) for page in pages]
    # The doctor's frames: sent by the doctor's page, received by the patient's.
    sender, receiver = 0, 1
    result = {
        "cpu": cpu,
        "encode": per(after[sender], before[sender], "encode", "encoded"),
        "send": per(after[sender], before[sender], "send", "sent"),
        "buffer": per(after[receiver], before[receiver], "buffer", "emitted"),
        "decode": per(after[receiver], before[receiver], "decode", "decoded"),
    }
    for context in contexts:
        await context.close()
    return result


async def measure_glass(
    browser: Browser, server: RunningServer, e2ee: bool, seconds: float
) -> dict[str, float]:
    """Glass to glass, both ways, with the camera that shows the time (which costs CPU of
    its own: the cost is measured in other rounds)."""
    contexts, pages = await consultation_pages(browser, server, e2ee, stamped=True)
    for page in pages:
        await start_reading(page)
    await asyncio.sleep(seconds)
    shown = [latency for page in pages for latency in await latencies(page)]
    for context in contexts:
        await context.close()
    return {
        "glass": median(shown) / 1000,
        "p90": percentile(shown, 0.9) / 1000,
        "frames": len(shown) / seconds / len(pages),
    }


def row(name: str, results: list[dict[str, float]]) -> str:
    def m(key: str) -> float:
        return median([r[key] for r in results])

    latency = m("encode") + m("send") + m("buffer") + m("decode")
    return (
        f"| {name} | {100 * m('cpu'):.1f} % | **{1000 * m('glass'):.0f} ms**"
        f" | {1000 * m('p90'):.0f} ms | {m('frames'):.0f}"
        f" | {1000 * m('encode'):.2f} | {1000 * m('send'):.2f}"
        f" | {1000 * m('buffer'):.1f} | {1000 * m('decode'):.2f} | {1000 * latency:.1f} ms |"
    )


async def main(seconds: float, rounds: int) -> None:
    print(machine())
    with postgres() as url, hocovisio(url, Path(tempfile.mkdtemp())) as server:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
            results: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
            for _ in range(rounds):
                for e2ee in (False, True):
                    cost = await measure_cost(browser, server, e2ee, seconds)
                    glass = await measure_glass(browser, server, e2ee, seconds)
                    results[e2ee].append(cost | glass)
            await browser.close()
    print(
        "| mode | renderer CPU per page | glass to glass (median) | p90 | frames read/s per page"
        " | encode ms/frame | pacing ms/packet | jitter buffer ms | decode ms/frame"
        " | in the browsers (stats) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(row("in clear", results[False]))
    print(row("end-to-end encrypted", results[True]))
    clear, encrypted = (median([r["cpu"] for r in results[mode]]) for mode in (False, True))
    print(f"renderer CPU, encrypted / clear: {encrypted / clear:.2f}")
    clear, encrypted = (median([r["glass"] for r in results[mode]]) for mode in (False, True))
    print(f"glass to glass, encrypted / clear: {encrypted / clear:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()
    asyncio.run(main(options.seconds, options.rounds))
