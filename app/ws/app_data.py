"""A producer's ``appData``, which the others receive in ``newConsumer``: built by the server.

The doctor's page shows ``appData.device.name`` as the title of a device's video, so it must
not come from the client: anyone could label a webcam "Otoscope". The client may say which
of its sources a stream is (``source``), and which device it sends (``device: {id}``), but
only a device that its own session reported with ``deviceConnected``; the device's name and
kind are then the catalogue's. Any other key is dropped. In an end-to-end encrypted
consultation a device's video is refused: the station agent sends it unencrypted.
"""

from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.media.room import MediaError
from app.realtime.peer import Peer
from app.services import device_registry, e2ee, onetoones

SOURCES = ("mic", "webcam", "screen")
DEVICE_LABEL = ("id", "name", "kind")


async def producer_app_data(
    db: async_sessionmaker[AsyncSession], peer: Peer, kind: str, requested: object
) -> dict[str, Any]:
    """The ``appData`` of ``peer``'s new ``kind`` producer, from what the client asked."""
    if requested is None:
        return {}
    if not isinstance(requested, dict):
        raise MediaError("appData must be an object")
    app_data: dict[str, Any] = {}
    source = requested.get("source")
    if source is not None:
        if source not in SOURCES:
            raise MediaError(f"appData.source must be one of {', '.join(SOURCES)}")
        app_data["source"] = source
    if requested.get("device") is not None:
        async with db() as session:
            app_data["device"] = await _device(session, peer, kind, requested["device"])
    return app_data


async def _device(db: AsyncSession, peer: Peer, kind: str, requested: object) -> dict[str, Any]:
    device_id = requested.get("id") if isinstance(requested, dict) else None
    if not isinstance(device_id, int) or isinstance(device_id, bool):
        raise MediaError("appData.device.id must be a device id")
    entry = await device_registry.reported(db, peer.onetoone_id, peer.session_id, device_id)
    if entry is None:
        raise MediaError("device not connected")
    if entry.device["media_kind"] != kind:
        raise MediaError(f"device {device_id} does not send {kind}")
    if await onetoones.encrypted(db, peer.onetoone_id):
        raise MediaError(e2ee.DEVICES_REFUSED)
    return {key: entry.device[key] for key in DEVICE_LABEL}
