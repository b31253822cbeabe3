import asyncio
import hashlib
import json
import os
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.client import Consultation, Participant, create_consultation
from tests.server import RunningServer, hocovisio

MiB = 1024 * 1024
MAX_BYTES = 8 * MiB
QUOTA_BYTES = 12 * MiB
BOUNDARY = "hocovisio-test-boundary"
# Every type but WebP, to show that the allow-list is a setting.
ALLOWED = ["application/pdf", "image/png", "image/jpeg", "application/dicom", "text/plain"]

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200)
DICOM = bytes(128) + b"DICM" + b"\x02\x00\x00\x00UL\x04\x00" + bytes(64)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(64)


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server of its own, with small limits, so that the storage folder is this module's."""
    env = {
        "HOCOVISIO_UPLOAD_MAX_BYTES": str(MAX_BYTES),
        "HOCOVISIO_UPLOAD_QUOTA_BYTES": str(QUOTA_BYTES),
        "HOCOVISIO_UPLOAD_ALLOWED_TYPES": json.dumps(ALLOWED),
    }
    with hocovisio(database_url, tmp_path_factory.mktemp("documents-data"), env) as running:
        yield running


def stored_files(server: RunningServer) -> set[Path]:
    root = server.data_dir / "documents"
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def rows(db: psycopg.Connection, consultation: Consultation) -> tuple[int, int]:
    """How many documents and messages the consultation has."""
    return db.execute(
        "SELECT (SELECT count(*) FROM document d WHERE d.onetoone_id = o.id),"
        " (SELECT count(*) FROM message m WHERE m.onetoone_id = o.id)"
        " FROM onetoone o WHERE o.token = %s",
        (consultation.token,),
    ).fetchone()


async def joined(
    consultation: Consultation, participant: Callable[[], Participant], role: str
) -> Participant:
    client = participant()
    response = await client.open(consultation.link(role))
    assert response.status_code == 200
    return client


async def upload(
    client: Participant, data: bytes, name: str = "report.pdf", claimed: str = "application/pdf"
) -> httpx.Response:
    return await client.http.post(
        "/upload-file", files={"document": (name, data, claimed)}, headers=client.auth()
    )


def part_head(filename: str, field: str = "document") -> bytes:
    return (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()


TAIL = f"\r\n--{BOUNDARY}--\r\n".encode()
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


async def chunked(*pieces: bytes) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


@pytest.fixture
def nothing_left(
    server: RunningServer, db: psycopg.Connection, consultation: Consultation
) -> Iterator[None]:
    """The test's refusals store nothing: no row, no file, no temporary file."""
    before = stored_files(server)
    yield
    assert rows(db, consultation) == (0, 0)
    assert stored_files(server) == before


async def test_round_trip_of_a_large_document(
    server: RunningServer,
    consultation: Consultation,
    participant: Callable[[], Participant],
    db: psycopg.Connection,
):
    doctor = await joined(consultation, participant, "medecin")
    patient = await joined(consultation, participant, "patient")
    doctor_socket, patient_socket = await doctor.socket(), await patient.socket()
    data = PDF + os.urandom(5 * MiB)

    response = await upload(patient, data, name="scan result.pdf")
    assert response.status_code == 200, response.text
    document = response.json()["document"]
    assert document["name"] == "scan result.pdf"
    assert document["content_type"] == "application/pdf"
    assert document["size"] == len(data)
    assert document["sha256"] == hashlib.sha256(data).hexdigest()
    assert document["session_id"] == consultation.sessions["patient"]["id"]

    announced = (await doctor_socket.event("newMessage"))["message"]
    assert announced["kind"] == "document"
    assert announced["document"] == document
    await patient_socket.no_event("newMessage", wait=0.3)
    assert rows(db, consultation) == (1, 1)

    download = await doctor.http.get(f"/document/{document['id']}")
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == document["sha256"]
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-length"] == str(len(data))
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"scan result.pdf\"; filename*=UTF-8''scan%20result.pdf"
    )
    assert download.headers["cache-control"] == "no-store"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["accept-ranges"] == "bytes"

    accesses = db.execute(
        "SELECT action, session_id, role FROM audit WHERE document_id = %s ORDER BY id",
        (document["id"],),
    ).fetchall()
    assert accesses == [
        ("document.upload", consultation.sessions["patient"]["id"], "patient"),
        ("document.download", consultation.sessions["medecin"]["id"], "medecin"),
    ]


async def test_the_type_comes_from_the_content_not_the_client(
    consultation: Consultation, participant: Callable[[], Participant]
):
    patient = await joined(consultation, participant, "patient")
    for data, expected in [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (DICOM, "application/dicom"),
        ("Température 38,5 °C\n".encode(), "text/plain"),
    ]:
        response = await upload(patient, data, name="claimed.pdf", claimed="application/pdf")
        assert response.status_code == 200, response.text
        assert response.json()["document"]["content_type"] == expected


async def test_html_is_stored_and_served_as_plain_text(
    consultation: Consultation, participant: Callable[[], Participant]
):
    patient = await joined(consultation, participant, "patient")
    page = b"<html><script>alert(1)</script></html>"
    response = await upload(patient, page, name="page.html", claimed="text/html")
    assert response.status_code == 200
    download = await patient.http.get(f"/document/{response.json()['document']['id']}")
    assert download.content == page
    assert download.headers["content-type"] == "text/plain; charset=utf-8"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"MZ\x90\x00\x03\x00\x00\x00" + bytes(300), id="executable"),
        pytest.param("\xe9t\xe9 latin-1".encode("latin-1"), id="not-utf8"),
        pytest.param(b"text" * 1000 + b"\x00", id="nul-at-the-end"),
        pytest.param(b"valid text " * 400_000 + b"\xff", id="bad-byte-after-4-MiB"),
        pytest.param(b"caf\xc3", id="truncated-utf8"),
        pytest.param(WEBP, id="webp-not-in-the-allow-list"),
    ],
)
async def test_unaccepted_types_are_refused(
    consultation: Consultation,
    participant: Callable[[], Participant],
    nothing_left: None,
    data: bytes,
):
    patient = await joined(consultation, participant, "patient")
    response = await upload(patient, data, name="x.pdf")
    assert response.status_code == 415
    assert "not accepted" in response.json()["msg"]


async def test_too_large_is_refused_whether_declared_or_streamed(
    server: RunningServer,
    consultation: Consultation,
    participant: Callable[[], Participant],
    db: psycopg.Connection,
):
    patient = await joined(consultation, participant, "patient")
    before = stored_files(server)
    declared = await upload(patient, PDF + bytes(MAX_BYTES))
    assert declared.status_code == 413
    assert str(MAX_BYTES) in declared.json()["msg"]

    # No Content-Length: the limit is found while the file streams in.
    body = chunked(part_head("big.pdf"), PDF, *[bytes(MiB)] * 9, TAIL)
    streamed = await patient.http.post(
        "/upload-file", content=body, headers={**patient.auth(), "Content-Type": MULTIPART}
    )
    assert streamed.status_code == 413
    assert str(MAX_BYTES) in streamed.json()["msg"]

    assert rows(db, consultation) == (0, 0)
    assert stored_files(server) == before
    just_right = await upload(patient, PDF + bytes(MAX_BYTES - len(PDF)))
    assert just_right.status_code == 200


async def test_the_consultation_quota_is_enforced(
    server: RunningServer,
    consultation: Consultation,
    participant: Callable[[], Participant],
    db: psycopg.Connection,
):
    patient = await joined(consultation, participant, "patient")
    for _ in range(2):
        assert (await upload(patient, PDF + bytes(5 * MiB))).status_code == 200
    before = stored_files(server)
    refused = await upload(patient, PDF + bytes(3 * MiB))
    assert refused.status_code == 413
    assert "quota" in refused.json()["msg"]
    assert rows(db, consultation) == (2, 2)
    assert stored_files(server) == before
    # Another consultation has its own quota.
    other = await create_consultation(patient.http, server.operator_key)
    stranger = await joined(other, participant, "patient")
    assert (await upload(stranger, PDF + bytes(3 * MiB))).status_code == 200


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system.ini", "system.ini"),
        ("rap\x1bport\t\u202egpj.pdf", "rapportgpj.pdf"),
        ("...", "document"),
        ("", "document"),
        ("n" * 5000 + ".pdf", "n" * 196 + ".pdf"),
    ],
)
async def test_file_names_are_neutralised(
    server: RunningServer,
    consultation: Consultation,
    participant: Callable[[], Participant],
    raw: str,
    expected: str,
):
    patient = await joined(consultation, participant, "patient")
    quoted = raw.replace("\\", "\\\\").replace('"', '\\"')
    body = part_head(quoted) + PDF + TAIL
    response = await patient.http.post(
        "/upload-file", content=body, headers={**patient.auth(), "Content-Type": MULTIPART}
    )
    assert response.status_code == 200, response.text
    assert response.json()["document"]["name"] == expected
    root = server.data_dir / "documents"
    assert all(path.resolve().is_relative_to(root.resolve()) for path in stored_files(server))


async def test_malformed_uploads_are_refused(
    consultation: Consultation, participant: Callable[[], Participant], nothing_left: None
):
    patient = await joined(consultation, participant, "patient")
    auth = patient.auth()
    cases = [
        (await patient.http.post("/upload-file", json={"document": "x"}, headers=auth), 400),
        (await upload(patient, b""), 400),
        (
            await patient.http.post("/upload-file", files={"other": ("a.pdf", PDF)}, headers=auth),
            400,
        ),
        (
            await patient.http.post(
                "/upload-file",
                content=part_head("a.pdf") + PDF + b"\r\n--" + BOUNDARY.encode(),
                headers={**auth, "Content-Type": MULTIPART},
            ),
            400,
        ),
        (
            await patient.http.post(
                "/upload-file",
                content=part_head("a.pdf")
                + PDF
                + f"\r\n--{BOUNDARY}\r\n".encode()
                + part_head("b.pdf")[len(BOUNDARY) + 4 :]
                + PDF
                + TAIL,
                headers={**auth, "Content-Type": MULTIPART},
            ),
            400,
        ),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        assert response.json()["msg"]


async def test_an_upload_cut_off_midway_leaves_nothing(
    server: RunningServer,
    consultation: Consultation,
    participant: Callable[[], Participant],
    db: psycopg.Connection,
):
    patient = await joined(consultation, participant, "patient")
    before = stored_files(server)
    host, port = server.base_url.removeprefix("http://").split(":")
    body_start = part_head("cut.pdf") + PDF + os.urandom(3 * MiB)
    head = (
        "POST /upload-file HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        f"Authorization: Bearer {patient.credential}\r\n"
        f"Content-Type: {MULTIPART}\r\n"
        f"Content-Length: {len(body_start) + 2 * MiB}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port))) as raw:
        raw.sendall(head + body_start)
        for _ in range(50):  # the server is now writing a temporary file
            if any(path.suffix == ".part" for path in stored_files(server) - before):
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("no temporary file while the upload is under way")
    for _ in range(50):
        if stored_files(server) == before:
            break
        await asyncio.sleep(0.1)
    assert stored_files(server) == before
    assert rows(db, consultation) == (0, 0)
    assert (await upload(patient, PDF)).status_code == 200


async def test_range_requests(consultation: Consultation, participant: Callable[[], Participant]):
    patient = await joined(consultation, participant, "patient")
    data = PDF + os.urandom(100_000)
    document = (await upload(patient, data)).json()["document"]
    url = f"/document/{document['id']}"
    size = len(data)

    first = await patient.http.get(url, headers={"Range": "bytes=0-99"})
    assert first.status_code == 206
    assert first.content == data[:100]
    assert first.headers["content-range"] == f"bytes 0-99/{size}"
    assert first.headers["content-length"] == "100"

    middle = await patient.http.get(url, headers={"Range": "bytes=5000-"})
    assert middle.status_code == 206
    assert middle.content == data[5000:]

    suffix = await patient.http.get(url, headers={"Range": "bytes=-10"})
    assert suffix.status_code == 206
    assert suffix.content == data[-10:]
    assert suffix.headers["content-range"] == f"bytes {size - 10}-{size - 1}/{size}"

    beyond = await patient.http.get(url, headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{size}"
    assert beyond.json()["msg"]

    # If-Range with another version, or several ranges: the whole document.
    stale = await patient.http.get(url, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert stale.status_code == 200 and stale.content == data
    current = await patient.http.get(
        url, headers={"Range": "bytes=0-9", "If-Range": f'"{document["sha256"]}"'}
    )
    assert current.status_code == 206 and current.content == data[:10]
    several = await patient.http.get(url, headers={"Range": "bytes=0-9,20-29"})
    assert several.status_code == 200 and several.content == data


async def test_only_the_consultation_participants_may_download(
    server: RunningServer,
    consultation: Consultation,
    participant: Callable[[], Participant],
    http: httpx.AsyncClient,
):
    patient = await joined(consultation, participant, "patient")
    document = (await upload(patient, PDF)).json()["document"]
    url = f"/document/{document['id']}"

    guest = await joined(consultation, participant, "guest")
    assert (await guest.http.get(url)).status_code == 200

    other = await create_consultation(http, server.operator_key)
    stranger = await joined(other, participant, "medecin")
    refused = await stranger.http.get(url)
    missing = await stranger.http.get("/document/999999999")
    # Another consultation's document is answered as a missing one: ids cannot be probed.
    assert (refused.status_code, refused.json()) == (missing.status_code, missing.json())
    assert refused.status_code == 404

    assert (await http.get(url)).status_code == 401
    assert (await patient.http.get("/document/999999999")).status_code == 404
    assert (await patient.http.get("/document/not-a-number")).status_code == 404


async def test_a_pending_session_can_neither_upload_nor_download(
    consultation: Consultation, participant: Callable[[], Participant], nothing_left: None
):
    await joined(consultation, participant, "patient")
    newcomer = await joined(consultation, participant, "patient")
    assert newcomer.session is not None and newcomer.session["validate_fromadmin"] == 0
    refused = await upload(newcomer, PDF)
    assert refused.status_code == 403
    assert (await newcomer.http.get("/document/1")).status_code == 403


async def test_anonymous_upload_is_refused(http: httpx.AsyncClient):
    response = await http.post("/upload-file", files={"document": ("a.pdf", PDF)})
    assert response.status_code == 401
    assert response.json() == {"msg": "session not valid"}


async def test_ending_the_consultation_removes_its_files(
    server: RunningServer,
    consultation: Consultation,
    participant: Callable[[], Participant],
    db: psycopg.Connection,
):
    before = stored_files(server)
    patient = await joined(consultation, participant, "patient")
    ids = [(await upload(patient, PDF + bytes(n))).json()["document"]["id"] for n in (1, 2)]
    added = stored_files(server) - before
    assert len(added) == 2

    ended = await patient.http.delete(
        f"/onetoone/{consultation.token}",
        headers={"Authorization": f"Bearer {server.operator_key}"},
    )
    assert ended.status_code == 200
    assert not any(path.exists() for path in added)
    assert stored_files(server) == before
    assert rows(db, consultation) == (0, 0)
    for document_id in ids:
        assert (await patient.http.get(f"/document/{document_id}")).status_code == 401
