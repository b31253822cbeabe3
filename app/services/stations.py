"""What a consultation station reports: devices plugged in and unplugged, and its leaving.

The device is resolved against the catalogue (unknown and disabled models are refused), kept
in the registry under the station's socket, counted in the stats, and announced to the other
participants (``deviceConnected``/``deviceDisconnected``) with the catalogue's fields, the
node and the station's ``peerId``.
"""

from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Refused
from app.persistence.models import Device
from app.realtime import notices
from app.realtime.broker import Audience, Event
from app.realtime.peer import Peer
from app.services import catalogue, stats
from app.services.device_registry import Connected, DeviceRegistry


async def plugged(
    db: AsyncSession,
    registry: DeviceRegistry,
    station: Peer,
    usb_ids: tuple[str, str],
    node: str | None,
) -> Connected:
    """The station ``station`` reports a device plugged in; return its entry."""
    device = await _resolve(db, usb_ids, enabled_only=True)
    entry = Connected(device.public(), node, station.session_id, owner=station)
    if registry.connect(station.onetoone_id, entry):
        await _announce(db, station, "deviceConnected", entry)
    return entry


async def unplugged(
    db: AsyncSession,
    registry: DeviceRegistry,
    station: Peer,
    usb_ids: tuple[str, str],
    node: str | None,
) -> Device:
    """The station reports a device unplugged; return the catalogue's device."""
    device = await _resolve(db, usb_ids, enabled_only=False)
    assert device.id is not None
    entry = registry.disconnect(station.onetoone_id, station.session_id, device.id, node)
    if entry is not None:
        await _announce(db, station, "deviceDisconnected", entry)
    return device


async def left(db: AsyncSession, registry: DeviceRegistry, station: Peer) -> None:
    """A station's socket closed: what it had plugged in is gone for the others too."""
    for entry in registry.drop_socket(station.onetoone_id, station):
        await _announce(db, station, "deviceDisconnected", entry)


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
    await db.commit()
