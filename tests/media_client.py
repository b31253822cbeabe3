"""A real WebRTC participant: pymediasoup and aiortc over the participant socket."""

from __future__ import annotations

import asyncio
import fractions
import math
from typing import Any

import av
import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import AUDIO_PTIME, VIDEO_CLOCK_RATE, VIDEO_PTIME
from pymediasoup import AiortcHandler, Device
from pymediasoup.consumer import Consumer
from pymediasoup.rtp_parameters import RtpCapabilities, RtpParameters

from tests.client import Socket

FRAME_SIZE = (320, 240)


class ColorVideoTrack(MediaStreamTrack):
    """A camera that films a uniform colour, so that the receiver can tell who sent it."""

    kind = "video"

    def __init__(self, rgb: tuple[int, int, int]) -> None:
        super().__init__()
        self._image = np.zeros((FRAME_SIZE[1], FRAME_SIZE[0], 3), dtype=np.uint8)
        self._image[:, :] = rgb
        self._pts = 0
        self._start: float | None = None

    async def recv(self) -> av.VideoFrame:
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        else:
            self._pts += int(VIDEO_PTIME * VIDEO_CLOCK_RATE)
            await asyncio.sleep(max(0, self._start + self._pts / VIDEO_CLOCK_RATE - loop.time()))
        frame = av.VideoFrame.from_ndarray(self._image, format="rgb24")
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK_RATE)
        return frame


class ToneAudioTrack(MediaStreamTrack):
    """A microphone that hears a pure tone."""

    kind = "audio"
    rate = 48000

    def __init__(self, frequency: float) -> None:
        super().__init__()
        self._frequency = frequency
        self._pts = 0
        self._start: float | None = None

    async def recv(self) -> av.AudioFrame:
        loop = asyncio.get_running_loop()
        samples = int(AUDIO_PTIME * self.rate)
        if self._start is None:
            self._start = loop.time()
        else:
            self._pts += samples
            await asyncio.sleep(max(0, self._start + self._pts / self.rate - loop.time()))
        t = (np.arange(samples) + self._pts) / self.rate
        wave = (0.5 * 32767 * np.sin(2 * math.pi * self._frequency * t)).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(wave.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self.rate
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, self.rate)
        return frame


class MediaClient:
    """Joins the consultation's media with the given tracks and consumes what it is offered."""

    def __init__(self, socket: Socket, tracks: list[MediaStreamTrack]) -> None:
        self.socket = socket
        self.tracks = tracks
        self.device = Device(handlerFactory=AiortcHandler.createFactory(tracks=tracks))
        self.consumers: list[Consumer] = []
        self.new_consumer = asyncio.Event()
        self.send_transport: Any = None
        self.recv_transport: Any = None
        self.producers: list[Any] = []
        socket.on_request = self._on_request

    async def call(self, method: str, data: dict[str, Any] | None = None) -> Any:
        answer = await self.socket.request(method, data)
        if not answer["ok"]:
            raise RuntimeError(f"{method}: {answer['errorReason']}")
        return answer["data"]

    async def join(self) -> dict[str, Any]:
        capabilities = await self.call("getRouterRtpCapabilities")
        await self.device.load(RtpCapabilities(**capabilities))
        self.send_transport = await self._transport("send")
        self.recv_transport = await self._transport("recv")
        joined = await self.call(
            "join", {"rtpCapabilities": self.device.rtpCapabilities.dict(exclude_none=True)}
        )
        for track in self.tracks:
            producer = await self.send_transport.produce(track=track, stopTracks=False)
            self.producers.append(producer)
        return joined

    async def _transport(self, direction: str) -> Any:
        info = await self.call(
            "createWebRtcTransport",
            {"producing": direction == "send", "consuming": direction == "recv"},
        )
        create = (
            self.device.createSendTransport
            if direction == "send"
            else self.device.createRecvTransport
        )
        transport = create(
            id=info["id"],
            iceParameters=info["iceParameters"],
            iceCandidates=info["iceCandidates"],
            dtlsParameters=info["dtlsParameters"],
            sctpParameters=info["sctpParameters"],
        )

        @transport.on("connect")
        async def on_connect(dtls_parameters: Any) -> None:
            await self.call(
                "connectWebRtcTransport",
                {"transportId": transport.id, "dtlsParameters": dtls_parameters.dict()},
            )

        @transport.on("produce")
        async def on_produce(kind: str, rtp_parameters: Any, app_data: Any) -> str:
            produced = await self.call(
                "produce",
                {
                    "transportId": transport.id,
                    "kind": kind,
                    "rtpParameters": rtp_parameters.dict(exclude_none=True),
                    "appData": app_data,
                },
            )
            return produced["id"]

        return transport

    async def _on_request(self, method: str, data: dict[str, Any]) -> dict[str, Any]:
        if method != "newConsumer":
            raise RuntimeError(f"unexpected server request {method}")
        consumer = await self.recv_transport.consume(
            id=data["id"],
            producerId=data["producerId"],
            kind=data["kind"],
            rtpParameters=RtpParameters(**data["rtpParameters"]),
            appData=data.get("appData") or {},
        )
        self.consumers.append(consumer)
        self.new_consumer.set()
        return {}

    async def consumer(self, kind: str, timeout: float = 15.0) -> Consumer:
        async with asyncio.timeout(timeout):
            while True:
                for consumer in self.consumers:
                    if consumer.kind == kind and not consumer.closed:
                        return consumer
                self.new_consumer.clear()
                await self.new_consumer.wait()

    async def close(self) -> None:
        for transport in (self.send_transport, self.recv_transport):
            if transport is not None:
                await transport.close()
        for track in self.tracks:
            track.stop()


async def received_video_color(consumer: Consumer, frames: int = 5, timeout: float = 20.0):
    """Decode ``frames`` frames from ``consumer``; return the mean colour of the last one."""
    async with asyncio.timeout(timeout):
        for _ in range(frames):
            frame = await consumer.track.recv()
    image = frame.to_ndarray(format="rgb24")
    return tuple(int(channel) for channel in image.reshape(-1, 3).mean(axis=0))


async def received_audio_level(
    consumer: Consumer, frames: int = 25, timeout: float = 20.0
) -> float:
    """Decode ``frames`` audio frames; return the RMS level of the last ones (0 is silence)."""
    levels = []
    async with asyncio.timeout(timeout):
        for _ in range(frames):
            frame = await consumer.track.recv()
            samples = frame.to_ndarray().astype(np.float64)
            levels.append(math.sqrt(float(np.mean(samples**2))))
    return max(levels[-5:])
