"""Hypercorn as ``hocovisio run`` configures it: the lazy access-log atoms write the same
line as hypercorn's own, and ``permessage-deflate`` is negotiated only when it is turned on."""

import os
import time
from pathlib import Path

import httpx
import pytest
from hypercorn.logging import AccessLogAtoms
from hypercorn.protocol import ws_stream

from app.cli.hypercorn_setup import AccessAtoms, websocket_compression
from protoo.websocket import connect
from tests.client import Participant, create_consultation
from tests.server import RunningServer, hocovisio

SCOPE = {
    "type": "http",
    "http_version": "1.1",
    "method": "POST",
    "scheme": "https",
    "path": "/session/infos",
    "query_string": b"a=1&b=2",
    "client": ("203.0.113.9", 51234),
    "headers": [
        (b"host", b"example.org"),
        (b"User-Agent", b"curl/8.0"),
        (b"referer", b"https://example.org/join"),
        (b"x-twice", b"first"),
        (b"x-twice", b"second"),
    ],
}
RESPONSE = {"status": 201, "headers": [(b"content-length", b"42"), (b"x-request-id", b"abc")]}
ATOMS = [
    "h",
    "l",
    "t",
    "r",
    "R",
    "s",
    "st",
    "S",
    "m",
    "U",
    "Uq",
    "q",
    "H",
    "b",
    "B",
    "f",
    "a",
    "T",
    "D",
    "L",
    "p",
]
BRACED = ["{user-agent}i", "{X-Twice}i", "{content-length}o", "{X-Request-Id}o", "{absent}i"]


@pytest.mark.parametrize("response", [RESPONSE, None])
def test_access_atoms_are_hypercorn_s(response: dict | None, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HOCOVISIO_ATOM_PROBE", "probe-value")
    # One clock for both: ours reads the time when the line is written, Hypercorn's when its
    # atoms are made, and the two may fall on either side of a second.
    now, strftime = time.localtime(), time.strftime
    monkeypatch.setattr(time, "strftime", lambda fmt, moment=None: strftime(fmt, now))
    keys = [*ATOMS, *BRACED, "{hocovisio_atom_probe}e", "{absent}e", "unknown"]
    ours = AccessAtoms(SCOPE, response, 0.0123)
    theirs = AccessLogAtoms(SCOPE, response, 0.0123)  # type: ignore[arg-type]
    assert {key: ours[key] for key in keys} == {key: theirs[key] for key in keys}
    default = '%(h)s %(l)s %(l)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'
    assert default % ours == default % theirs


def test_access_atoms_of_a_websocket_scope():
    scope = {**SCOPE, "type": "websocket", "client": None}
    del scope["http_version"]
    for key in ("h", "m", "r", "H"):
        assert AccessAtoms(scope, None, 0)[key] == AccessLogAtoms(scope, None, 0)[key]  # type: ignore[arg-type]


def test_compression_setting_swaps_hypercorn_s_handshake():
    headers = [
        (b"sec-websocket-extensions", b"permessage-deflate; client_max_window_bits, x-other"),
    ]
    try:
        websocket_compression(False)
        assert ws_stream.Handshake(headers, "1.1").extensions == ["x-other"]
        websocket_compression(True)
        assert len(ws_stream.Handshake(headers, "1.1").extensions or []) == 2
    finally:
        websocket_compression(True)


async def negotiated(server: RunningServer) -> str | None:
    """The extensions the server accepted for a socket offering ``permessage-deflate`` (as
    ``websockets`` does by default, and every browser)."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        consultation = await create_consultation(http, server.operator_key)
    doctor = Participant(server.base_url, server.ws_url)
    await doctor.open(consultation.link("medecin"))
    assert doctor.credential is not None
    socket = await connect(server.ws_url, doctor.credential, compression="deflate")
    try:
        assert socket.request is not None and socket.response is not None
        assert "permessage-deflate" in socket.request.headers["Sec-WebSocket-Extensions"]
        return socket.response.headers.get("Sec-WebSocket-Extensions")
    finally:
        await socket.close()
        await doctor.close()


async def test_sockets_are_not_compressed_by_default(server: RunningServer):
    assert "HOCOVISIO_WEBSOCKET_COMPRESSION" not in os.environ
    assert await negotiated(server) is None


async def test_compression_when_turned_on(database_url: str, tmp_path: Path):
    env = {"HOCOVISIO_WEBSOCKET_COMPRESSION": "true"}
    with hocovisio(database_url, tmp_path, extra_env=env) as server:
        accepted = await negotiated(server)
    assert accepted is not None and accepted.startswith("permessage-deflate")
