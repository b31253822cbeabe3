"""Presence requests: who else is connected to the consultation."""

from typing import Any

from app.realtime.dispatch import Handler
from app.realtime.peer import Peer
from app.runtime.state import state
from app.services import instances


async def get_peers(peer: Peer, _: dict[str, Any]) -> dict[str, Any]:
    online = await instances.online_sessions(state().sql, peer.onetoone_id)
    online.pop(peer.session_id, None)
    return {"peers": [{"id": session_id, "role": role} for session_id, role in online.items()]}


HANDLERS: dict[str, Handler] = {"getPeers": get_peers}
