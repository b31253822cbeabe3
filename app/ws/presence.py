"""Presence requests: who else is connected to the consultation."""

from typing import Any

from app.realtime.dispatch import Handler
from app.realtime.peer import Peer
from app.runtime.state import state


async def get_peers(peer: Peer, _: dict[str, Any]) -> dict[str, Any]:
    online = state().broker.online_sessions(peer.onetoone_id)
    online.pop(peer.session_id, None)
    return {"peers": [{"id": session_id, "role": role} for session_id, role in online.items()]}


HANDLERS: dict[str, Handler] = {"getPeers": get_peers}
