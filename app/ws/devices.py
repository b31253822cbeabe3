"""Socket requests of a consultation station: ``deviceConnected`` and ``deviceDisconnected``.

The station sends ``{vendor_id, product_id, node}``; ``app.services.stations`` resolves the
device against the catalogue and tells the other participants.
"""

from typing import Any

from app.errors import Refused
from app.realtime.dispatch import Handler
from app.realtime.peer import Peer
from app.runtime.state import state
from app.services import catalogue, stations


def _usb_ids(data: dict[str, Any]) -> tuple[str, str]:
    return (
        catalogue.usb_id(data.get("vendor_id"), "vendor_id"),
        catalogue.usb_id(data.get("product_id"), "product_id"),
    )


def _node(data: dict[str, Any]) -> str | None:
    node = data.get("node")
    if node is not None and (not isinstance(node, str) or not 0 < len(node) <= 200):
        raise Refused(400, "node must be a text of at most 200 characters")
    return node


async def device_connected(peer: Peer, data: dict[str, Any]) -> dict[str, Any]:
    node, usb_ids = _node(data), _usb_ids(data)
    hocovisio = state()
    async with hocovisio.db() as db:
        entry = await stations.plugged(db, peer, usb_ids, node)
    return {"device": entry.device}


async def device_disconnected(peer: Peer, data: dict[str, Any]) -> dict[str, Any]:
    node, usb_ids = _node(data), _usb_ids(data)
    hocovisio = state()
    async with hocovisio.db() as db:
        device = await stations.unplugged(db, peer, usb_ids, node)
    return {"device": device.public()}


HANDLERS: dict[str, Handler] = {
    "deviceConnected": device_connected,
    "deviceDisconnected": device_disconnected,
}
