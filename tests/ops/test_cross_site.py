"""Cross-site requests with the session cookie (CSRF): SameSite=Lax covers neither another
port nor a sibling subdomain, so a request that changes something, sent by a browser from a
page of another origin, is refused (403), and so is the socket; the page's own script is
never handed its credential."""

import asyncio
import json
from collections.abc import Callable

import httpx
import pytest
import websockets

from tests.client import Consultation, Participant
from tests.server import RunningServer


def browser(origin: str | None, fetch_site: str | None) -> dict[str, str]:
    """The headers a browser adds to a request from a page of ``origin``."""
    headers = {}
    if origin is not None:
        headers["Origin"] = origin
    if fetch_site is not None:
        headers["Sec-Fetch-Site"] = fetch_site
    return headers


async def patient_with_cookie(
    consultation: Consultation, participant: Callable[[], Participant]
) -> Participant:
    patient = participant()
    await patient.open(consultation.link("patient"))
    assert "hocovisio_session" in patient.http.cookies
    return patient


@pytest.mark.parametrize(
    ("origin", "fetch_site"),
    [
        ("https://evil.example", "cross-site"),
        ("http://127.0.0.1:1", "same-site"),  # another port: same site, another origin
        ("ftp://127.0.0.1", "same-site"),  # another scheme (and port)
        ("null", "cross-site"),  # a sandboxed frame, a redirect
        (None, "cross-site"),  # no Origin, but the browser says where it came from
        (None, "same-site"),
    ],
)
async def test_a_cross_origin_request_with_the_cookie_is_refused(
    consultation: Consultation,
    participant: Callable[[], Participant],
    origin: str | None,
    fetch_site: str,
):
    patient = await patient_with_cookie(consultation, participant)
    headers = browser(origin, fetch_site)
    upload = await patient.http.post(
        "/upload-file",
        files={"document": ("a.pdf", b"%PDF-1.4 x", "application/pdf")},
        headers=headers,
    )
    assert upload.status_code == 403 and upload.json() == {"msg": "origin not allowed"}
    message = await patient.http.post("/message", data={"text": "forged"}, headers=headers)
    assert message.status_code == 403
    waiting = participant()
    await waiting.open(consultation.link("patient"))
    left = await waiting.http.post("/session/leave", headers=headers)
    assert left.status_code == 403
    # Nothing was done: the waiting client still waits, no message was stored.
    assert (await waiting.http.post("/session/leave")).status_code == 200
    assert (await patient.http.get("/messages")).json()["messages"] == []


async def test_the_same_origin_and_other_clients_are_served(
    server: RunningServer, consultation: Consultation, participant: Callable[[], Participant]
):
    patient = await patient_with_cookie(consultation, participant)
    same = browser(server.base_url, "same-origin")
    assert (await patient.http.post("/message", json={"text": "a"}, headers=same)).is_success
    # A client that is not a browser sends neither header; a bearer token is never sent by a
    # browser on its own, whatever the page.
    assert (await patient.http.post("/message", json={"text": "b"})).is_success
    evil = {**patient.auth(), "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    async with httpx.AsyncClient(base_url=server.base_url) as bare:
        assert (await bare.post("/message", json={"text": "c"}, headers=evil)).is_success


async def test_the_socket_checks_the_origin_s_scheme(
    server: RunningServer, consultation: Consultation, participant: Callable[[], Participant]
):
    patient = await patient_with_cookie(consultation, participant)
    host = server.base_url.removeprefix("http://")
    headers = {"Cookie": f"hocovisio_session={patient.credential}"}
    for origin in ("http://evil.example", f"http://{host}.evil.example", f"ftp://{host}"):
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(server.ws_url, origin=origin, additional_headers=headers):
                pass
        assert refused.value.response.status_code == 403
    # Our own host over https is ours too: a TLS proxy in front, not configured as trusted.
    for origin in (f"http://{host}", f"https://{host}"):
        await _get_peers(server, origin, headers)


async def _get_peers(server: RunningServer, origin: str, headers: dict[str, str]) -> None:
    async with websockets.connect(
        server.ws_url, origin=origin, additional_headers=headers
    ) as socket:
        await socket.send('{"request": true, "id": 1, "method": "getPeers", "data": {}}')
        async with asyncio.timeout(5):
            while (answer := json.loads(await socket.recv())).get("id") != 1:
                pass
        assert answer["ok"] is True, answer


async def test_a_browser_is_never_handed_its_credential(
    consultation: Consultation, participant: Callable[[], Participant]
):
    """The page's script reads the link's answer: its credential stays in the HttpOnly
    cookie. A client that is not a browser gets it in the answer too."""
    page = participant()
    opened = await page.http.get(
        consultation.link("patient"), headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert opened.status_code == 200
    assert "credential" not in opened.json()["session"]
    assert page.http.cookies.get("hocovisio_session")
    assert (await page.http.get("/session/infos")).status_code == 200
    app = participant()
    assert "credential" in (await app.open(consultation.link("medecin"))).json()["session"]
