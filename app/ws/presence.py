"""Presence requests: who else is connected to the consultation, and with what media."""

from typing import Any

from app.realtime.dispatch import Handler
from app.realtime.peer import Peer
from app.runtime.state import state
from app.services import media_states


async def get_peers(peer: Peer, _: dict[str, Any]) -> dict[str, Any]:
    online = await media_states.online(state().sql, peer.onetoone_id)
    return {"peers": [p for p in online if p["id"] != peer.session_id]}


async def set_media_state(peer: Peer, data: dict[str, Any]) -> dict[str, Any]:
    await media_states.report(state().sql, peer.socket_id, media_states.checked(data))
    return {}


HANDLERS: dict[str, Handler] = {"getPeers": get_peers, "setMediaState": set_media_state}
