"""Headless Debian Chromium, driven by Playwright, with a fake camera and microphone."""

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, Playwright, async_playwright

from tests.server import RunningServer

CHROMIUM = Path("/usr/bin/chromium")
WEB = Path(__file__).resolve().parents[2] / "web"
WEB_DIST = WEB / "dist"
AXE = WEB / "node_modules" / "axe-core" / "axe.min.js"
# What WCAG 2.1 AA asks that a tool can check, and the violations that fail a test.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
# A tile without video; other classes (``speaking``) come and go with the active speaker.
NO_VIDEO = re.compile(r"(^|\s)no-video(\s|$)")

# Fake media devices that need no permission prompt, and no outbound traffic: the machine's
# network is closed, and Chromium's background services would keep knocking on it.
CHROMIUM_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="session")
async def playwright() -> AsyncIterator[Playwright]:
    async with async_playwright() as running:
        yield running


async def launch(playwright: Playwright, *args: str, consent: bool = True) -> Browser:
    """Debian's Chromium with the fake devices, and ``args`` (another camera, say). Without
    ``consent``, the camera and microphone are refused until a context grants them."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run `make setup` (scripts/setup-system.sh)")
    if not (WEB_DIST / "index.html").exists():
        pytest.fail("the web client is not built: run `make web`")
    chosen = [a for a in CHROMIUM_ARGS if consent or a != "--use-fake-ui-for-media-stream"]
    return await playwright.chromium.launch(executable_path=str(CHROMIUM), args=[*chosen, *args])


@pytest.fixture(scope="session")
async def browser(playwright: Playwright) -> AsyncIterator[Browser]:
    launched = await launch(playwright)
    yield launched
    await launched.close()


@pytest.fixture
def artifacts() -> Path:
    """Screenshots of the pages, kept for a look after the run (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# What a person who ticked "join directly next time" has in their browser: the page joins with
# the camera and microphone at once, without the pre-join step (which its own tests show).
SKIP_PREJOIN = (
    "try { localStorage.setItem('hocovisio.devices', JSON.stringify({skip: true})) } catch {}"
)


class Browsers:
    """Browser contexts (separate cookie jars, i.e. separate people) and their page errors."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []

    async def page(
        self,
        path: str,
        locale: str = "en-US",
        prejoin: bool = False,
        viewport: tuple[int, int] = (1280, 800),
        user_agent: str | None = None,
    ) -> Page:
        """A new person's page; ``prejoin``: they see the step before joining; ``user_agent``:
        the browser it says it is (the device hint the doctor sees)."""
        width, height = viewport
        context = await self.browser.new_context(
            base_url=self.base_url,
            viewport={"width": width, "height": height},
            locale=locale,
            user_agent=user_agent,
        )
        if not prejoin:
            await context.add_init_script(SKIP_PREJOIN)
        self.contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        await page.goto(path)
        return page

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()


@pytest.fixture
async def people(browser: Browser, server: RunningServer) -> AsyncIterator[Browsers]:
    made = Browsers(browser, server.base_url)
    yield made
    await made.close()
    assert made.errors == [], made.errors


async def accessibility_violations(page: Page) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it stands."""
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: the pages' CSP forbids an injected <script>.
        await page.evaluate(AXE.read_text() + "\n;true")
    results = await page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target)}))",
        AXE_TAGS,
    )
    return [f"{v['impact']} {v['id']}: {v['nodes']}" for v in results if v["impact"] in BLOCKING]
