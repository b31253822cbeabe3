"""The consultation station agent (``hocovisio-station``), on the patient's side.

It joins the consultation like a participant, watches the USB bus, reports each catalogued
device plugged in or out (``deviceConnected`` / ``deviceDisconnected``), and produces the
picture of video devices and the sound of audio devices into the consultation.
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import httpx

from protoo import Connection, RequestError
from station import signalling
from station.media import DeviceMedia
from station.watcher import DeviceEvent, StationWatcher, UsbNode

log = logging.getLogger(__name__)


class StationError(Exception):
    """The station cannot join the consultation; the message says why."""


@dataclass
class StationConfig:
    server: str
    link: str | None = None
    credential: str | None = None
    # "vendor:product" -> a media file played instead of the device's node (demos, tests).
    files: dict[str, str] = field(default_factory=dict)


def ws_url(server: str) -> str:
    parts = urlsplit(server)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme)
    if scheme is None:
        raise StationError(f"the server must be an http:// or https:// URL, not {server!r}")
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + "/ws", "", ""))


async def _credential(http: httpx.AsyncClient, config: StationConfig) -> str:
    if config.credential:
        return config.credential
    assert config.link is not None
    response = await http.get(config.link)
    if response.status_code != 200:
        # The link's tokens are a credential: never in a message.
        try:
            msg = response.json().get("msg")
        except ValueError:  # not the service's answer (a proxy's error page)
            msg = None
        raise StationError(f"opening the consultation's link: {msg or response.status_code}")
    credential = response.json()["session"].get("credential")
    if not credential:
        raise StationError("the consultation's link gave no credential")
    return credential


async def _catalogue(http: httpx.AsyncClient) -> dict[tuple[str, str], str]:
    response = await http.get("/settings")
    response.raise_for_status()
    return {(d["vendor_id"], d["product_id"]): d["media_kind"] for d in response.json()["devices"]}


class Station:
    def __init__(self, config: StationConfig, socket: Connection, media: DeviceMedia) -> None:
        self._config = config
        self._socket = socket
        self._media = media

    async def handle(self, event: DeviceEvent) -> None:
        """Report one event. One device's failure (a refusal, a node that does not open) is
        logged, and the station carries on with the others."""
        try:
            if event.action == "connected":
                await self._connected(event.device)
            else:
                await self._disconnected(event.device)
        except Exception as error:
            log.warning(
                "%s %s at %s: %s", event.device.vendor_id, event.action, event.device.node, error
            )

    async def _connected(self, usb: UsbNode) -> None:
        answer = await self._socket.request("deviceConnected", _ids(usb))
        device = answer["device"]
        log.info("%s connected at %s", device["name"], usb.node)
        if device["media_kind"] in ("video", "audio"):
            file = self._config.files.get(f"{usb.vendor_id}:{usb.product_id}")
            await self._media.produce(device, usb.node, file)

    async def _disconnected(self, usb: UsbNode) -> None:
        log.info("%s:%s disconnected from %s", usb.vendor_id, usb.product_id, usb.node)
        try:
            await self._media.stop(usb.node)
        finally:
            await self._socket.request("deviceDisconnected", _ids(usb))


def _ids(usb: UsbNode) -> dict[str, str]:
    return {"vendor_id": usb.vendor_id, "product_id": usb.product_id, "node": usb.node}


async def run_station(config: StationConfig) -> None:
    """Serve the station until the consultation ends (the server closes the socket)."""
    async with httpx.AsyncClient(base_url=config.server, timeout=15) as http:
        try:
            credential = await _credential(http, config)
            catalogue = await _catalogue(http)
        except httpx.HTTPError as error:
            raise StationError(f"{config.server}: {error}") from None
    socket = await signalling.open_socket(ws_url(config.server), credential)
    media = DeviceMedia(socket)
    watcher = StationWatcher(lambda vendor, product: catalogue.get((vendor, product)))
    try:
        try:
            await media.start()
        except RequestError as error:
            if socket.is_closed:
                log.info("the consultation ended")
                return
            raise StationError(f"joining the consultation's media: {error}") from None
        station = Station(config, socket, media)
        watcher.start()
        log.info("station joined the consultation, watching USB devices")
        work = asyncio.create_task(_follow(watcher, station))
        try:
            await signalling.closed(socket)
        finally:
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await work
    finally:
        watcher.stop()
        await media.close()
        await socket.close()


async def _follow(watcher: StationWatcher, station: Station) -> None:
    async for event in watcher.events():
        await station.handle(event)
