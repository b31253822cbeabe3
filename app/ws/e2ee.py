"""End-to-end encryption's key agreement on the socket (``app.services.e2ee``):
``announceE2eeKey {publicKey}`` and ``sendE2eeKey {socketId, publicKey, index, key}``."""

from typing import Any

from app.realtime.dispatch import Handler
from app.realtime.peer import Peer
from app.runtime.state import state
from app.services import e2ee


async def announce_key(peer: Peer, data: dict[str, Any]) -> dict[str, Any]:
    key = e2ee.public_key(data.get("publicKey"))
    await e2ee.announce(state().sql, peer, key)
    return {"socketId": str(peer.socket_id)}


async def send_key(peer: Peer, data: dict[str, Any]) -> dict[str, Any]:
    to_socket = e2ee.socket_id(data.get("socketId"))
    message = {
        "publicKey": e2ee.public_key(data.get("publicKey")),
        "index": e2ee.key_index(data.get("index")),
        "key": e2ee.wrapped_key(data.get("key")),
    }
    await e2ee.send_key(state().sql, peer, to_socket, message)
    return {}


HANDLERS: dict[str, Handler] = {"announceE2eeKey": announce_key, "sendE2eeKey": send_key}
