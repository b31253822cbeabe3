"""``/openapi.json`` documents every route's answers, and the real answers match it.

The fuzz test (``tests/test_fuzz_api.py``) checks every answer it gets against the document,
but its random requests never upload a document, admit a pending session or plug a device
in: here a whole consultation checks those answers too.
"""

import re
import secrets
from collections.abc import Callable
from functools import partial
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.schemas import BaseSchema

from app.config.settings import Settings
from app.server import create_app
from tests.client import Participant, create_consultation
from tests.server import RunningServer

# Routes whose success is not described, by endpoint, and why.
NOT_DOCUMENTED = {
    "static": "Quart's own static folder (the app has none)",
    "openapi": "the document itself",
    "contract.asyncapi": "the socket's AsyncAPI document, beside this one",
    "swagger_ui": "the browsable view of the document, an HTML page",
    "web.page": "the web client's HTML page",
    "web.asset": "the web client's scripts and styles",
    "ws.participant_socket": "a WebSocket: OpenAPI describes HTTP only",
    # quart-schema documents JSON answers only; their refusals are documented.
    "health.metrics": "Prometheus text",
    "documents.download": "the document's own bytes (200, or 206 for a range)",
}

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture(scope="module")
def document(server: RunningServer) -> BaseSchema:
    return schemathesis.openapi.from_url(server.base_url + "/openapi.json")


def test_every_route_documents_its_success(server: RunningServer, document: BaseSchema) -> None:
    app = create_app(Settings(database_url=server.database_url))
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(NOT_DOCUMENTED) <= endpoints, "an exception for a route that is gone"
    undocumented = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_DOCUMENTED:
            continue
        path = re.sub("<(?:[^:>]*:)?([^>]+)>", r"{\1}", rule.rule)  # as quart-schema writes it
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            codes = document[path][method].responses.status_codes
            if not any(code.startswith("2") for code in codes):
                undocumented.append(f"{method} {rule.rule}")
    assert not undocumented, f"no success answer documented for {undocumented}"


def conforms(document: BaseSchema, response: httpx.Response, status: int = 200) -> Any:
    """``response`` has ``status``, which its operation documents, and the documented body."""
    assert response.status_code == status, response.text
    path, method = response.request.url.path, response.request.method
    candidates = [
        result.ok()
        for result in document.get_all_operations()
        if result.ok().method.upper() == method
        and re.fullmatch(re.sub("{[^}]+}", "[^/]+", result.ok().path), path)
    ]
    # /devices/connected before /devices/{device_id}: the fewest parameters first.
    operation = min(candidates, key=lambda op: op.path.count("{"))
    assert operation.responses.find_by_status_code(status) is not None, f"{status} undocumented"
    operation.validate_response(response)
    return response.json()


@pytest.fixture(scope="module")
def operator(server: RunningServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.operator_key}"}


async def test_a_consultation_answers_as_documented(
    server: RunningServer,
    document: BaseSchema,
    http: httpx.AsyncClient,
    participant: Callable[[], Participant],
    operator: dict[str, str],
) -> None:
    check = partial(conforms, document)
    await check_public(check, http)

    created = check(await http.post("/onetoone", headers=operator))
    assert created["onetoone"]["killed_at"] is None
    consultation = await create_consultation(http, server.operator_key)
    doctor, patient, intruder = participant(), participant(), participant()
    assert "credential" in check(await doctor.open(consultation.link("medecin")))["session"]
    check(await patient.open(consultation.link("patient")))
    reopened = check(await patient.open(consultation.link("patient")))
    assert "credential" not in reopened["session"]  # the client already logged into it
    pending = check(await intruder.open(consultation.link("patient")))["session"]
    assert pending["validate_fromadmin"] == 0
    # Both devices stay in, so that the patient's requests below go on.
    admit = {"sessionId": pending["id"], "replace": False}
    validated = await doctor.http.post("/validate", json=admit, headers=doctor.auth())
    assert check(validated) == {"success": pending["id"]}
    refused = check(await participant().open(consultation.link("patient")))["session"]
    refusal = await doctor.http.post(
        "/refuse", json={"sessionId": refused["id"]}, headers=doctor.auth()
    )
    assert check(refusal) == {"refused": refused["id"]}

    auth = patient.auth()
    check(await patient.http.post("/session/infos", json={"data": {"w": 72}}, headers=auth))
    check(await patient.http.get("/session/infos", headers=auth))
    files = {"document": ("report.pdf", PDF)}
    upload = await patient.http.post("/upload-file", files=files, headers=auth)
    await upload.request.aread()  # schemathesis reads the request back; it was streamed
    uploaded = check(upload)
    check(await patient.http.post("/message", json={"text": "hello"}, headers=auth))
    page = check(await patient.http.get("/messages", headers=auth))
    assert [m["kind"] for m in page["messages"]] == ["document", "text"]
    beyond = {"Range": f"bytes={len(PDF)}-", **auth}
    path = f"/document/{uploaded['document']['id']}"
    check(await patient.http.get(path, headers=beyond), 416)

    await check_devices(check, http, operator, patient)

    check(await http.get("/stats", headers=operator))
    check(await http.delete(f"/onetoone/{consultation.token}", headers=operator))
    check(await doctor.open(consultation.link("medecin")), 401)


async def check_public(check: Callable[..., Any], http: httpx.AsyncClient) -> None:
    check(await http.get("/healthz"))
    check(await http.get("/readyz"))
    check(await http.get("/settings"))


async def check_devices(
    check: Callable[..., Any],
    http: httpx.AsyncClient,
    operator: dict[str, str],
    station: Participant,
) -> None:
    """The catalogue's answers, and one device plugged into the consultation's station."""
    usb = {"vendor_id": secrets.token_hex(2), "product_id": secrets.token_hex(2)}
    new = {"name": "Test otoscope", "kind": "otoscope", "media_kind": "video", **usb}
    device = check(await http.post("/devices", json=new, headers=operator), 201)["device"]
    check(await http.get("/devices", headers=operator))
    socket = await station.socket()
    answer = await socket.request("deviceConnected", {**usb, "node": "/dev/video9"})
    assert answer["ok"], answer
    connected = check(await station.http.get("/devices/connected", headers=station.auth()))
    assert [entry["device"]["id"] for entry in connected["devices"]] == [device["id"]]
    path = f"/devices/{device['id']}"
    check(await http.patch(path, json={"enabled": False}, headers=operator))
    check(await http.delete(path, headers=operator))
