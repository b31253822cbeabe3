"""Media on real networks, in Chromium: the TURN relay beside the direct path, and simulcast.

Starts an embedded PostgreSQL, Debian's coturn and a real ``hocovisio run`` that hands out
coturn's address, then holds two consultations at once in headless Chromium (fake camera and
microphone, the browser client as patients and doctors use it): in one the patient reaches
the SFU directly, in the other through the relay only (``?ice=relay``). For each page it
reports what it received over the same seconds: video and audio bitrate, packets lost,
jitter and the ICE round trip of its receiving path. Then, in the direct consultation, the
doctor caps what it receives (``setMaxReceiveBitrate``) a few times: the time for its
consumer of the patient's camera to fall to a lower simulcast layer, and to climb back once
the cap is lifted.

    MEDIASOUP_WORKER_BIN=... .venv/bin/python -m bench.network_media [--seconds 20] [--rounds 3]

About 2 minutes with the defaults (2 vCPUs).
"""

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, Page, async_playwright

from tests.client import create_consultation
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, SKIP_PREJOIN
from tests.e2e.test_consultation import join_path, wait_for_media
from tests.e2e.test_simulcast import CAP_BITS, wait_for_layer
from tests.server import RunningServer, hocovisio, postgres
from tests.turn_server import coturn

from ._common import machine, median


async def received(page: Page) -> dict[str, dict[str, float]]:
    """The page's inbound totals per kind, and its receiving path's round trip."""
    totals: dict[str, dict[str, float]] = {}
    for entry in await page.evaluate("() => window.hocovisio.inboundStats()"):
        kind = totals.setdefault(
            entry["kind"], {"bytes": 0, "packets": 0, "lost": 0, "jitter": 0.0}
        )
        kind["bytes"] += entry.get("bytesReceived") or 0
        kind["packets"] += entry.get("packetsReceived") or 0
        kind["lost"] += entry.get("packetsLost") or 0
        kind["jitter"] = max(kind["jitter"], entry.get("jitter") or 0.0)
    paths = await page.evaluate("() => window.hocovisio.paths()")
    receiving = next((p for p in paths if p["direction"] == "recv"), {})
    totals["path"] = {
        "rtt": receiving.get("roundTripTime") or 0.0,
        "relay": float(receiving.get("candidateType") == "relay"),
    }
    return totals


def flow(before: dict[str, Any], after: dict[str, Any], seconds: float) -> str:
    parts = []
    for kind in ("video", "audio"):
        packets = after[kind]["packets"] - before[kind]["packets"]
        lost = after[kind]["lost"] - before[kind]["lost"]
        kbits = (after[kind]["bytes"] - before[kind]["bytes"]) * 8 / seconds / 1000
        share = lost / (packets + lost) if packets + lost else 0.0
        part = f"{kind} {kbits:6.0f} kbit/s, lost {share:.2%} ({lost})"
        if kind == "audio":  # a video frame's packets share one timestamp: no jitter to read
            part += f", jitter {after[kind]['jitter'] * 1000:.1f} ms"
        parts.append(part)
    path = "relay" if after["path"]["relay"] else "direct"
    parts.append(f"{path} path, ICE round trip {after['path']['rtt'] * 1000:.1f} ms")
    return "; ".join(parts)


async def consultation(server: RunningServer, browser: Browser, relay: bool) -> dict[str, Page]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        made = await create_consultation(http, server.operator_key)
    pages = {}
    for role, suffix in (("medecin", ""), ("patient", "?ice=relay" if relay else "")):
        context = await browser.new_context(
            base_url=server.base_url, viewport={"width": 1280, "height": 800}
        )
        await context.add_init_script(SKIP_PREJOIN)
        pages[role] = await context.new_page()
        await pages[role].goto(join_path(made, role) + suffix)
    for page in pages.values():
        await wait_for_media(page, timeout=30)
    return pages


async def adaptation(doctor: Page, rounds: int) -> list[tuple[float, float]]:
    times = []
    for _ in range(rounds):
        top = await wait_for_layer(doctor, lambda layer: layer >= 1, timeout=60)
        await doctor.evaluate(f"() => window.hocovisio.setMaxReceiveBitrate({CAP_BITS})")
        capped = time.monotonic()
        await wait_for_layer(doctor, lambda layer, top=top: layer < top, timeout=60)
        fell = time.monotonic() - capped
        await doctor.evaluate("() => window.hocovisio.setMaxReceiveBitrate(0)")
        lifted = time.monotonic()
        await wait_for_layer(doctor, lambda layer, top=top: layer >= top, timeout=60)
        times.append((fell, time.monotonic() - lifted))
        print(
            f"  cap {CAP_BITS // 1000} kbit/s: fell in {fell:.2f} s, climbed back in"
            f" {times[-1][1]:.2f} s (top layer {top})",
            flush=True,
        )
    return times


async def main(seconds: float, rounds: int) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="hocovisio-bench-") as folder,
        postgres() as database_url,
        coturn(Path(folder) / "coturn") as turn,
    ):
        env = {
            "HOCOVISIO_TURN_URLS": json.dumps([turn.url]),
            "HOCOVISIO_TURN_SECRET": turn.secret,
            "HOCOVISIO_RATE_LIMIT_ENABLED": "false",
        }
        with hocovisio(database_url, Path(folder) / "server", extra_env=env) as server:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                try:
                    direct = await consultation(server, browser, relay=False)
                    relayed = await consultation(server, browser, relay=True)
                    pages = {
                        "direct: doctor": direct["medecin"],
                        "direct: patient": direct["patient"],
                        "relayed: doctor": relayed["medecin"],
                        "relayed: patient (relay only)": relayed["patient"],
                    }
                    await asyncio.sleep(5)  # past the bandwidth estimates' ramp-up
                    before = {name: await received(page) for name, page in pages.items()}
                    started = time.monotonic()
                    await asyncio.sleep(seconds)
                    elapsed = time.monotonic() - started
                    after = {name: await received(page) for name, page in pages.items()}
                    print(f"# media on real networks\n{machine()}")
                    print(f"received over the same {elapsed:.1f} s, both consultations at once:")
                    for name in pages:
                        print(f"  {name:30} {flow(before[name], after[name], elapsed)}")
                    allocations = turn.log().count("ALLOCATE processed, success")
                    print(f"  coturn: {allocations} allocations made")
                    print("simulcast adaptation, the direct consultation's doctor:")
                    times = await adaptation(direct["medecin"], rounds)
                    print(
                        f"  median: fell in {median([t[0] for t in times]):.2f} s, climbed back"
                        f" in {median([t[1] for t in times]):.2f} s"
                    )
                finally:
                    await browser.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured time")
    parser.add_argument("--rounds", type=int, default=3, help="cap-and-lift rounds")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.seconds, arguments.rounds))
