"""Socket requests of a consultation station: ``deviceConnected`` and ``deviceDisconnected``.

The station sends ``{vendor_id, product_id, node}``; the device is resolved against the
catalogue (unknown and disabled models are refused) and the other participants are notified
with the catalogue's fields, the node and the station's ``peerId``.
"""

from typing import Any

from app.broker import Audience, Event
from app.devices import catalogue
from app.devices.catalogue import CatalogueError
from app.devices.registry import Connected, registry
from app.models import Device
from app.services import stats
from app.state import state
from app.ws.peer import Peer
from app.ws.requests import RequestError, requests


def _node(data: dict[str, Any]) -> str | None:
    node = data.get("node")
    if node is not None and (not isinstance(node, str) or not 0 < len(node) <= 200):
        raise RequestError("node must be a text of at most 200 characters")
    return node


async def _resolve(data: dict[str, Any], enabled_only: bool) -> Device:
    try:
        vendor_id = catalogue.usb_id(data.get("vendor_id"), "vendor_id")
        product_id = catalogue.usb_id(data.get("product_id"), "product_id")
    except CatalogueError as error:
        raise RequestError(error.msg) from None
    async with state().db() as db:
        device = await catalogue.find(db, vendor_id, product_id)
    if device is None:
        raise RequestError(f"device {vendor_id}:{product_id} is not in the catalogue")
    if enabled_only and not device.enabled:
        raise RequestError(f"device {vendor_id}:{product_id} is disabled")
    return device


async def _announce(peer: Peer, method: str, event: str, entry: Connected) -> None:
    async with state().db() as db:
        stats.record(
            db,
            event,
            peer.onetoone_id,
            peer.session_id,
            {"kind": entry.device["kind"], "media_kind": entry.device["media_kind"]},
        )
        await db.commit()
    state().broker.publish(
        peer.onetoone_id, Event(method, entry.public()), Audience.everyone_but(peer.session_id)
    )


@requests.method("deviceConnected")
async def device_connected(peer: Peer, data: dict[str, Any]) -> dict[str, Any]:
    node = _node(data)
    device = await _resolve(data, enabled_only=True)
    entry = Connected(device.public(), node, peer.session_id, owner=peer)
    if registry().connect(peer.onetoone_id, entry):
        await _announce(peer, "deviceConnected", "device_connected", entry)
    return {"device": entry.device}


@requests.method("deviceDisconnected")
async def device_disconnected(peer: Peer, data: dict[str, Any]) -> dict[str, Any]:
    node = _node(data)
    device = await _resolve(data, enabled_only=False)
    assert device.id is not None
    entry = registry().disconnect(peer.onetoone_id, peer.session_id, device.id, node)
    if entry is not None:
        await _announce(peer, "deviceDisconnected", "device_disconnected", entry)
    return {"device": device.public()}


async def station_left(peer: Peer) -> None:
    """A station's socket closed: what it had plugged in is gone for the others too."""
    for entry in registry().drop_socket(peer.onetoone_id, peer):
        await _announce(peer, "deviceDisconnected", "device_disconnected", entry)
