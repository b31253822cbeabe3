"""Presence requests: who else is connected to the consultation."""

from typing import Any

from app.state import state
from app.ws.peer import Peer
from app.ws.requests import requests


@requests.method("getPeers")
async def get_peers(peer: Peer, _: dict[str, Any]) -> dict[str, Any]:
    online = state().broker.online_sessions(peer.onetoone_id)
    online.pop(peer.session_id, None)
    return {"peers": [{"id": session_id, "role": role} for session_id, role in online.items()]}
