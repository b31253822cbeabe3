"""Headers every response carries, and the API's /docs page served from our own origin."""

import re

import httpx


async def test_every_response_says_nosniff_and_sends_no_referrer(
    http: httpx.AsyncClient, consultation
):
    answers = [
        await http.get("/settings"),
        await http.get("/session/infos"),  # 401
        await http.get("/no-such-page"),  # 404
        await http.get(consultation.link("patient")),
        await http.get("/openapi.json"),
        await http.get("/"),
        await http.get(consultation.link("medecin").replace("/session/", "/join/")),
        await http.get("/assets/app.js"),
    ]
    for answer in answers:
        assert answer.headers["X-Content-Type-Options"] == "nosniff", answer.request.url
        # A participant's page is at its link: the requests it makes must not quote it.
        assert answer.headers["Referrer-Policy"] == "no-referrer", answer.request.url


async def test_docs_load_swagger_ui_from_our_own_origin(http: httpx.AsyncClient):
    page = await http.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources, page.text
    for source in sources:
        assert source.startswith("/"), f"/docs loads {source} from another origin"
        assert (await http.get(source)).status_code == 200, source
