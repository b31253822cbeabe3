"""Media signalling as a hostile client does it: raw socket requests, no WebRTC stack.

The worker accepts a producer on a transport that never connected, so a test can create
many of them quickly; each gets its own SSRC, as the worker refuses a repeated one.
"""

import asyncio
from collections.abc import Callable
from typing import Any

from tests.client import Socket

RTP_CAPABILITIES = {
    "codecs": [
        {
            "kind": "audio",
            "mimeType": "audio/opus",
            "preferredPayloadType": 100,
            "clockRate": 48000,
            "channels": 2,
        },
        {
            "kind": "video",
            "mimeType": "video/VP8",
            "preferredPayloadType": 101,
            "clockRate": 90000,
            "rtcpFeedback": [{"type": "nack"}, {"type": "ccm", "parameter": "fir"}],
        },
    ],
    "headerExtensions": [],
}


def opus_parameters(ssrc: int) -> dict[str, Any]:
    codec = {"mimeType": "audio/opus", "payloadType": 100, "clockRate": 48000, "channels": 2}
    return {"codecs": [codec], "encodings": [{"ssrc": ssrc}], "rtcp": {"cname": "raw"}}


def vp8_parameters(ssrc: int) -> dict[str, Any]:
    codec = {"mimeType": "video/VP8", "payloadType": 101, "clockRate": 90000}
    return {"codecs": [codec], "encodings": [{"ssrc": ssrc}], "rtcp": {"cname": "raw"}}


async def ok(socket: Socket, method: str, data: dict[str, Any] | None = None) -> Any:
    answer = await socket.request(method, data)
    assert answer["ok"], (method, answer)
    return answer["data"]


async def join(socket: Socket, *, consuming: bool = False) -> str:
    """Join the room with one transport (a receiving one if ``consuming``); return its id."""
    await ok(socket, "getRouterRtpCapabilities")
    transport = await ok(
        socket, "createWebRtcTransport", {"producing": not consuming, "consuming": consuming}
    )
    await ok(socket, "join", {"rtpCapabilities": RTP_CAPABILITIES})
    return transport["id"]


async def produce(
    socket: Socket, transport_id: str, ssrc: int, app_data: Any = None, kind: str = "audio"
) -> dict[str, Any]:
    """Ask for a producer; return the whole answer (``ok`` or not)."""
    parameters = opus_parameters(ssrc) if kind == "audio" else vp8_parameters(ssrc)
    data = {"transportId": transport_id, "kind": kind, "rtpParameters": parameters}
    if app_data is not None:
        data["appData"] = app_data
    return await socket.request("produce", data)


def record_consumers(socket: Socket) -> list[dict[str, Any]]:
    """Accept every ``newConsumer`` the server offers ``socket``; return the growing list."""
    offered: list[dict[str, Any]] = []

    async def accept(method: str, data: dict[str, Any]) -> dict[str, Any]:
        assert method == "newConsumer"
        offered.append(data)
        return {}

    socket.on_request = accept
    return offered


async def settled(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)
