"""ICE on a WebRtcTransport with a hand-made STUN request (no DTLS handshake).

Exercises the ``icestatechange`` / ``iceselectedtuplechange`` /
``dtlsstatechange`` notifications.
"""

from __future__ import annotations

import asyncio
import binascii
import hashlib
import hmac
import os
import struct

from sfu_control import Router, WebRtcTransport

from .helpers import udp_socket, wait_until

MAGIC_COOKIE = 0x2112A442


def _attribute(kind: int, value: bytes) -> bytes:
    padding = b"\x00" * (-len(value) % 4)
    return struct.pack("!HH", kind, len(value)) + value + padding


def stun_binding_request(username: str, password: str) -> bytes:
    """A STUN Binding request as a controlling ICE agent nominating the pair."""
    transaction_id = os.urandom(12)
    attributes = (
        _attribute(0x0006, username.encode())  # USERNAME
        + _attribute(0x0024, struct.pack("!I", 1853824767))  # PRIORITY
        + _attribute(0x802A, os.urandom(8))  # ICE-CONTROLLING
        + _attribute(0x0025, b"")  # USE-CANDIDATE
    )

    def header(length: int) -> bytes:
        return struct.pack("!HHI", 0x0001, length, MAGIC_COOKIE) + transaction_id

    # MESSAGE-INTEGRITY covers the message with a length that already counts it.
    digest = hmac.new(
        password.encode(), header(len(attributes) + 24) + attributes, hashlib.sha1
    ).digest()
    attributes += _attribute(0x0008, digest)
    crc = binascii.crc32(header(len(attributes) + 8) + attributes) ^ 0x5354554E
    attributes += _attribute(0x8028, struct.pack("!I", crc))
    return header(len(attributes)) + attributes


async def test_stun_binding_request_completes_ice(router: Router) -> None:
    transport: WebRtcTransport = await router.create_webrtc_transport(
        listen_infos=[{"protocol": "udp", "ip": "127.0.0.1"}]
    )
    states: list[str] = []
    tuples: list[dict] = []
    transport.on("icestatechange", states.append)
    transport.on("iceselectedtuplechange", tuples.append)
    dtls_states: list[str] = []
    transport.on("dtlsstatechange", dtls_states.append)
    candidate = transport.ice_candidates[0]
    ice = transport.ice_parameters
    sock = udp_socket()
    try:
        request = stun_binding_request(f"{ice['usernameFragment']}:clientufrag", ice["password"])
        sock.sendto(request, (candidate["ip"], candidate["port"]))
        response = await asyncio.wait_for(asyncio.get_running_loop().sock_recv(sock, 2048), 5)
        assert struct.unpack("!H", response[:2])[0] == 0x0101  # Binding success response
        await wait_until(lambda: bool(states) and bool(tuples))
        assert states[-1] in ("connected", "completed")
        assert transport.ice_state == states[-1]
        assert tuples[-1]["remotePort"] == sock.getsockname()[1]
        assert transport.ice_selected_tuple == tuples[-1]
        stats = (await transport.get_stats())[0]
        assert stats["iceState"] == states[-1]
        # Without connect() the worker acts as DTLS server: it waits for a
        # ClientHello that never comes (no handshake happens).
        await wait_until(lambda: dtls_states == ["connecting"])
        assert stats["dtlsState"] == transport.dtls_state == "connecting"
    finally:
        sock.close()
    transport.close()
    assert transport.ice_state == "closed" and transport.dtls_state == "closed"
