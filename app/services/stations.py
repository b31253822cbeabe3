"""What a consultation station reports: devices plugged in and unplugged.

The device is resolved against the catalogue (unknown and disabled models are refused), kept
in the registry under the station's socket, counted in the stats, and announced to the other
participants (``deviceConnected``/``deviceDisconnected``) with the catalogue's fields, the
node and the station's ``peerId``: in one transaction. When the station's socket closes, or
its instance dies, ``hocovisio_socket_close`` announces its devices gone.
"""

from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Refused
from app.persistence.models import Device
from app.realtime import notices
from app.realtime.broker import Audience, Event
from app.realtime.peer import Peer
from app.services import catalogue, device_registry, stats
from app.services.device_registry import Connected


async def plugged(
    db: AsyncSession, station: Peer, usb_ids: tuple[str, str], node: str | None
) -> Connected:
    """The station ``station`` reports a device plugged in; return its entry."""
    device = await _resolve(db, usb_ids, enabled_only=True)
    entry = Connected(device.public(), node, station.session_id)
    if await device_registry.connect(db, station.onetoone_id, station.socket_id, entry):
        await _announce(db, station, "deviceConnected", entry)
    await db.commit()
    return entry


async def unplugged(
    db: AsyncSession, station: Peer, usb_ids: tuple[str, str], node: str | None
) -> Device:
    """The station reports a device unplugged; return the catalogue's device."""
    device = await _resolve(db, usb_ids, enabled_only=False)
    assert device.id is not None
    entry = await device_registry.disconnect(
        db, station.onetoone_id, station.session_id, device.id, node
    )
    if entry is not None:
        await _announce(db, station, "deviceDisconnected", entry)
    await db.commit()
    return device


async def _resolve(db: AsyncSession, usb_ids: tuple[str, str], enabled_only: bool) -> Device:
    vendor_id, product_id = usb_ids
    device = await catalogue.find(db, vendor_id, product_id)
    if device is None:
        raise Refused(404, f"device {vendor_id}:{product_id} is not in the catalogue")
    if enabled_only and not device.enabled:
        raise Refused(409, f"device {vendor_id}:{product_id} is disabled")
    return device


async def _announce(db: AsyncSession, station: Peer, method: str, entry: Connected) -> None:
    event = "device_connected" if method == "deviceConnected" else "device_disconnected"
    detail = {"kind": entry.device["kind"], "media_kind": entry.device["media_kind"]}
    stats.record(db, event, station.onetoone_id, station.session_id, detail)
    await notices.publish_in(
        db,
        station.onetoone_id,
        Event(method, entry.public()),
        Audience.everyone_but(station.session_id),
    )
