"""What an attacker probes with: every case is a clear 400 (or 404 for an id no row can have),
nothing is stored, and the server logs no traceback."""

import json
from collections.abc import Callable, Iterator

import httpx
import psycopg
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from app.input_guard import MAX_DEPTH
from tests.client import Consultation, Participant
from tests.server import RunningServer

TOO_BIG_ID = 2**31
JSON = {"Content-Type": "application/json"}


@pytest.fixture(autouse=True)
def no_traceback(server: RunningServer) -> Iterator[None]:
    """The server log gains no traceback (and no 500) during the test."""
    start = len(server.log())
    yield
    written = server.log()[start:]
    assert "Traceback" not in written, written
    assert "internal error" not in written, written


async def joined(
    consultation: Consultation, participant: Callable[[], Participant], role: str
) -> Participant:
    client = participant()
    assert (await client.open(consultation.link(role))).status_code == 200
    return client


def refused(response: httpx.Response, status: int, msg_part: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["msg"]
    assert msg_part in body["msg"]


def form(db: psycopg.Connection, consultation: Consultation) -> dict | None:
    row = db.execute(
        "SELECT m.data FROM medical_info m JOIN onetoone o ON o.id = m.onetoone_id"
        " WHERE o.token = %s",
        (consultation.token,),
    ).fetchone()
    return None if row is None else row[0]


def message_count(db: psycopg.Connection, consultation: Consultation) -> int:
    return db.execute(
        "SELECT count(*) FROM message m JOIN onetoone o ON o.id = m.onetoone_id WHERE o.token = %s",
        (consultation.token,),
    ).fetchone()[0]


# -- URLs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("link", "msg_part"),
    [
        ("/session/%00/%00", "the URL path: NUL characters are not allowed"),
        ("/session/{ot}/{patient}%00", "the URL path: NUL characters are not allowed"),
        ("/session/{ot}%00/{patient}", "the URL path: NUL characters are not allowed"),
        ("/session/{ot}/{patient}?x=%00", "the query string: NUL characters are not allowed"),
        ("/session/{ot}/{patient}?%00=1", "the query string: NUL characters are not allowed"),
    ],
)
async def test_a_link_with_nul_is_refused_before_the_database(
    http: httpx.AsyncClient,
    consultation: Consultation,
    db: psycopg.Connection,
    link: str,
    msg_part: str,
):
    url = link.format(ot=consultation.token, patient=consultation.sessions["patient"]["token"])
    refused(await http.get(url), 400, msg_part)
    # The patient's one-time link is still unused.
    used = db.execute(
        "SELECT token_onetime_used FROM session WHERE id = %s",
        (consultation.sessions["patient"]["id"],),
    ).fetchone()[0]
    assert used == 0


async def test_a_link_with_invalid_utf8_is_not_valid(
    http: httpx.AsyncClient, consultation: Consultation
):
    """Percent-encoded bytes that are not UTF-8 (here a surrogate's) arrive as U+FFFD."""
    response = await http.get(f"/session/{consultation.token}/%ED%A0%80")
    refused(response, 401, "session not valid")


@pytest.mark.parametrize(
    "cookie", [b"hocovisio_session=\xff\xfe", b'hocovisio_session="\\000\\355\\240\\200"']
)
async def test_hostile_cookies_are_no_credential(http: httpx.AsyncClient, cookie: bytes):
    """A credential only reaches the database as its SHA-256."""
    for path in ("/session/infos", "/messages", "/devices/connected"):
        refused(await http.get(path, headers={"Cookie": cookie}), 401, "session not valid")


async def test_operator_urls_with_nul(server: RunningServer, http: httpx.AsyncClient):
    operator = {"Authorization": f"Bearer {server.operator_key}"}
    refused(await http.delete("/onetoone/%00", headers=operator), 400, "NUL")
    refused(await http.get("/stats?from=%00", headers=operator), 400, "NUL")


# -- ids beyond PostgreSQL's integer -----------------------------------------------------


@pytest.mark.parametrize("document_id", [str(TOO_BIG_ID), "0", "-1", str(10**30), "1e3"])
async def test_document_ids_out_of_range_are_unknown(
    consultation: Consultation, participant: Callable[[], Participant], document_id: str
):
    patient = await joined(consultation, participant, "patient")
    response = await patient.http.get(f"/document/{document_id}")
    assert response.status_code == 404, response.text
    assert list(response.json()) == ["msg"]


@pytest.mark.parametrize("device_id", [str(TOO_BIG_ID), "0", "-5", str(10**30)])
async def test_device_ids_out_of_range_are_unknown(
    server: RunningServer, http: httpx.AsyncClient, db: psycopg.Connection, device_id: str
):
    operator = {"Authorization": f"Bearer {server.operator_key}"}
    before = db.execute("SELECT id, enabled FROM device ORDER BY id").fetchall()
    for response in (
        await http.patch(f"/devices/{device_id}", json={"enabled": False}, headers=operator),
        await http.delete(f"/devices/{device_id}", headers=operator),
    ):
        assert response.status_code == 404, response.text
        assert list(response.json()) == ["msg"]
    assert db.execute("SELECT id, enabled FROM device ORDER BY id").fetchall() == before


@pytest.mark.parametrize("before", [str(TOO_BIG_ID), "0", "-1", str(10**30), "%00", "1.5"])
async def test_messages_before_out_of_range(
    consultation: Consultation, participant: Callable[[], Participant], before: str
):
    patient = await joined(consultation, participant, "patient")
    response = await patient.http.get(f"/messages?before={before}")
    assert response.status_code == 400, response.text
    assert list(response.json()) == ["msg"]


@pytest.mark.parametrize(
    ("session_id", "msg_part"),
    [
        (str(TOO_BIG_ID), "sessionId: Input should be less than or equal to 2147483647"),
        ("-1", "sessionId: Input should be greater than or equal to 1"),
        (str(10**30), "integer out of range"),
        ("1e999", "numbers must be finite"),
        ('"\\u0000"', "NUL characters are not allowed"),
    ],
)
async def test_validate_with_ids_out_of_range(
    consultation: Consultation,
    participant: Callable[[], Participant],
    session_id: str,
    msg_part: str,
):
    doctor = await joined(consultation, participant, "medecin")
    body = f'{{"sessionId": {session_id}}}'.encode()
    refused(await doctor.http.post("/validate", content=body, headers=JSON), 400, msg_part)


# -- the medical form's body -------------------------------------------------------------

NESTED = "[" * 1000 + "]" * 1000

HOSTILE_FORMS = [
    pytest.param(b'{"data": {"a\\u0000": 1}}', "body.data: a key: NUL", id="nul-in-key"),
    pytest.param(b'{"data": {"a": "x\\u0000y"}}', "body.data.a: NUL", id="nul-in-value"),
    pytest.param(b'{"data": {"a": ["\\ud800"]}}', "body.data.a[0]: unpaired", id="surrogate"),
    pytest.param(b'{"data": {"\\udfff": 1}}', "a key: unpaired", id="surrogate-in-key"),
    pytest.param(b'{"data": {"a": Infinity}}', "finite", id="infinity"),
    pytest.param(b'{"data": {"a": -Infinity}}', "finite", id="minus-infinity"),
    pytest.param(b'{"data": {"a": NaN}}', "finite", id="nan"),
    pytest.param(b'{"data": {"a": 1e999}}', "finite", id="1e999"),
    pytest.param(b'{"data": {"a": 1' + b"0" * 30 + b"}}", "integer out of range", id="10**30"),
    pytest.param(b'{"data": {"a": ' + NESTED.encode() + b"}}", "nested deeper", id="nested"),
    pytest.param(
        b'{"data": {"a": ' + b"[" * (MAX_DEPTH - 1) + b"]" * (MAX_DEPTH - 1) + b"}}",
        "nested deeper",
        id="one-too-deep",
    ),
    pytest.param('{"data": {"a": 1}}'.encode("utf-16"), "not valid UTF-8", id="utf-16"),
    pytest.param(b'{"data": {"a": "\xff\xfe"}}', "not valid UTF-8", id="invalid-utf-8"),
    pytest.param(b'{"data": {"a": 1}', "invalid JSON", id="truncated"),
]


@pytest.mark.parametrize(("body", "msg_part"), HOSTILE_FORMS)
async def test_hostile_form_bodies_are_refused(
    consultation: Consultation,
    participant: Callable[[], Participant],
    db: psycopg.Connection,
    body: bytes,
    msg_part: str,
):
    doctor = await joined(consultation, participant, "medecin")
    patient = await joined(consultation, participant, "patient")
    doctor_socket = await doctor.socket()
    before = form(db, consultation)
    refused(await patient.http.post("/session/infos", content=body, headers=JSON), 400, msg_part)
    await doctor_socket.no_event("infoUpdate", wait=0.2)
    assert form(db, consultation) == before


async def test_the_deepest_form_allowed_is_stored(
    consultation: Consultation, participant: Callable[[], Participant], db: psycopg.Connection
):
    """``MAX_DEPTH`` levels in all: the body and ``data`` are two of them."""
    patient = await joined(consultation, participant, "patient")
    deepest = "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2)
    body = f'{{"data": {{"a": {deepest}, "b": "\\ud83e\\udd12"}}}}'.encode()
    response = await patient.http.post("/session/infos", content=body, headers=JSON)
    assert response.status_code == 200, response.text
    assert form(db, consultation) == json.loads(body)["data"]


# -- chat, over HTTP and over the socket -------------------------------------------------

HOSTILE_TEXTS = [
    pytest.param('"\\ud800"', "body.text: unpaired", id="surrogate"),
    pytest.param('"a\\u0000b"', "body.text: NUL", id="nul"),
    pytest.param("NaN", "finite", id="nan"),
]


@pytest.mark.parametrize(("text", "msg_part"), HOSTILE_TEXTS)
async def test_hostile_messages_are_refused(
    consultation: Consultation,
    participant: Callable[[], Participant],
    db: psycopg.Connection,
    text: str,
    msg_part: str,
):
    patient = await joined(consultation, participant, "patient")
    body = f'{{"text": {text}}}'.encode()
    refused(await patient.http.post("/message", content=body, headers=JSON), 400, msg_part)
    assert message_count(db, consultation) == 0


def send_message_frame(frame_id: object, data: str) -> str:
    """A ``sendMessage`` request frame, its parts written as raw JSON."""
    return f'{{"request": true, "id": {frame_id}, "method": "sendMessage", "data": {data}}}'


# A refused request is answered with its id when it could be read, else with id null.
SOCKET_FRAMES = [
    (send_message_frame(1, '{"text": "\\ud800"}'), 1, "frame.data.text: unpaired"),
    (send_message_frame(2, '{"text": "a\\u0000"}'), 2, "frame.data.text: NUL"),
    (send_message_frame(3, '{"text": "x", "n": NaN}'), 3, "frame.data.n: numbers must be finite"),
    (send_message_frame(4, '{"\\u0000": "x"}'), 4, "frame.data: a key: NUL"),
    (send_message_frame("1e999", '{"text": "x"}'), None, "frame has no integer id"),
    (send_message_frame(10**22, '{"text": "x"}'), None, "frame.id: integer out of range"),
    (send_message_frame(5, '{"text": ' + NESTED + "}"), None, "nested deeper"),
    (b'{"request": true, "id": 6, "method": "getPeers", "\xff": 1}', None, "not valid UTF-8"),
    # The answer to a server request: an error with its id would look like a response.
    ('{"response": true, "id": 7, "ok": true, "data": {"x": Infinity}}', None, "finite"),
]


async def test_hostile_socket_frames_get_an_error_response(
    server: RunningServer,
    consultation: Consultation,
    participant: Callable[[], Participant],
    db: psycopg.Connection,
):
    patient = await joined(consultation, participant, "patient")
    async with connect(server.ws_url, additional_headers=patient.auth()) as socket:
        for frame, frame_id, msg_part in SOCKET_FRAMES:
            await socket.send(frame)
            answer = json.loads(await socket.recv())
            assert answer["response"] is True and answer["ok"] is False, answer
            assert answer["id"] == frame_id, answer
            assert msg_part in answer["errorReason"], answer
        await socket.send(json.dumps({"request": True, "id": 8, "method": "getPeers"}))
        assert json.loads(await socket.recv())["ok"] is True  # still served
    assert message_count(db, consultation) == 0


@pytest.mark.parametrize("origin", ["http://[", "http://[::1", "https://]x"])
async def test_a_malformed_origin_is_refused(
    server: RunningServer,
    consultation: Consultation,
    participant: Callable[[], Participant],
    origin: str,
):
    patient = await joined(consultation, participant, "patient")
    headers = {**patient.auth(), "Origin": origin}
    with pytest.raises(InvalidStatus) as refused_socket:
        await connect(server.ws_url, additional_headers=headers)
    assert refused_socket.value.response.status_code == 403
