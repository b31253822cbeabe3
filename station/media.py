"""A station device's picture or sound, produced into the consultation through the SFU.

The station is a pymediasoup/aiortc client with a sending transport only. Each device is one
producer whose ``appData`` names the device (``{device: {id}}``, reported before with
``deviceConnected``); the server labels it with the catalogue's name and kind, so the
doctor's client knows the otoscope's video from the patient's camera.
"""

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from aiortc.contrib.media import MediaPlayer
from pymediasoup import AiortcHandler, Device
from pymediasoup.rtp_parameters import RtpCapabilities

from protoo import Peer

log = logging.getLogger(__name__)

VIDEO_OPTIONS = {"video_size": "640x480", "framerate": "30"}
AUDIO_OPTIONS = {"channels": "1", "sample_rate": "48000"}


def open_player(media_kind: str, node: str, file: str | None = None) -> MediaPlayer:
    """The device's stream: its node (V4L2 camera, ALSA card), or a file standing in for it."""
    if file is not None:
        return MediaPlayer(file, loop=True)
    if media_kind == "video":
        return MediaPlayer(node, format="v4l2", options=VIDEO_OPTIONS)
    return MediaPlayer(node, format="alsa", options=AUDIO_OPTIONS)


@dataclass
class _Production:
    player: MediaPlayer
    producer: Any


class DeviceMedia:
    def __init__(self, socket: Peer) -> None:
        self._socket = socket
        self._device = Device(handlerFactory=AiortcHandler.createFactory(tracks=[]))
        self._transport: Any = None
        self._productions: dict[str, _Production] = {}

    async def start(self) -> None:
        """Join the consultation's media room with one sending transport."""
        capabilities = await self._socket.request("getRouterRtpCapabilities")
        await self._device.load(RtpCapabilities(**capabilities))
        info = await self._socket.request("createWebRtcTransport", {"producing": True})
        self._transport = self._device.createSendTransport(
            id=info["id"],
            iceParameters=info["iceParameters"],
            iceCandidates=info["iceCandidates"],
            dtlsParameters=info["dtlsParameters"],
            sctpParameters=info["sctpParameters"],
        )
        transport_id = info["id"]

        @self._transport.on("connect")
        async def on_connect(dtls_parameters: Any) -> None:
            await self._socket.request(
                "connectWebRtcTransport",
                {"transportId": transport_id, "dtlsParameters": dtls_parameters.dict()},
            )

        @self._transport.on("produce")
        async def on_produce(kind: str, rtp_parameters: Any, app_data: Any) -> str:
            produced = await self._socket.request(
                "produce",
                {
                    "transportId": transport_id,
                    "kind": kind,
                    "rtpParameters": rtp_parameters.dict(exclude_none=True),
                    "appData": app_data,
                },
            )
            return produced["id"]

        rtp_capabilities = self._device.rtpCapabilities.dict(exclude_none=True)
        await self._socket.request("join", {"rtpCapabilities": rtp_capabilities})

    async def produce(self, device: dict[str, Any], node: str, file: str | None = None) -> str:
        """Send the device's stream; return the producer's id."""
        # Opening probes the device (a slow USB camera takes a while): in a thread, so that the
        # devices already streaming and the socket go on meanwhile.
        player = await asyncio.to_thread(open_player, device["media_kind"], node, file)
        track = player.video if device["media_kind"] == "video" else player.audio
        if track is None:
            raise ValueError(f"{file or node} has no {device['media_kind']} stream")
        try:
            producer = await self._transport.produce(
                track=track, appData={"device": {"id": device["id"]}}
            )
        except Exception:
            track.stop()
            raise
        self._productions[node] = _Production(player, producer)
        return producer.id

    async def stop(self, node: str) -> None:
        """Close the device's producer (the server tells the consumers), then its stream."""
        production = self._productions.pop(node, None)
        if production is None:
            return
        await production.producer.close()
        try:
            await self._socket.request("closeProducer", {"producerId": production.producer.id})
        finally:
            for track in (production.player.video, production.player.audio):
                if track is not None:
                    track.stop()

    async def close(self) -> None:
        for node in list(self._productions):
            try:
                await self.stop(node)
            except Exception as error:
                log.info("closing the stream of %s: %s", node, error)
        if self._transport is not None:
            await self._transport.close()
