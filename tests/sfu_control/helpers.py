"""Small RTP / UDP helpers for the sfu_control tests."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Callable


def rtp_packet(payload_type: int, seq: int, timestamp: int, ssrc: int, payload: bytes) -> bytes:
    """A minimal RTP packet (version 2, no CSRC, no extension)."""
    return struct.pack("!BBHII", 0x80, payload_type & 0x7F, seq & 0xFFFF, timestamp, ssrc) + payload


def parse_rtp(data: bytes) -> dict[str, int]:
    _, pt, seq, ts, ssrc = struct.unpack("!BBHII", data[:12])
    return {"payloadType": pt & 0x7F, "seq": seq, "timestamp": ts, "ssrc": ssrc}


def media_packets(packets: list[bytes], ssrc: int) -> list[bytes]:
    """The RTP packets of ``ssrc`` (drops RTCP and the worker's probation packets)."""
    return [p for p in packets if not 192 <= p[1] <= 223 and parse_rtp(p)["ssrc"] == ssrc]


def udp_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    return sock


async def receive_for(sock: socket.socket, seconds: float) -> list[bytes]:
    """Every datagram received on ``sock`` during ``seconds``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    packets: list[bytes] = []
    while (remaining := deadline - loop.time()) > 0:
        try:
            packets.append(await asyncio.wait_for(loop.sock_recv(sock, 4096), remaining))
        except TimeoutError:
            break
    return packets


async def wait_until(
    predicate: Callable[[], bool], timeout: float = 5.0, interval: float = 0.05
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(interval)
