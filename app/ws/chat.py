"""Chat requests on the socket: ``sendMessage {text}`` -> ``{message}``."""

from typing import Any

from app.errors import Refused
from app.realtime.dispatch import Handler
from app.realtime.peer import Peer
from app.runtime.state import state
from app.services import messages


async def send_message(peer: Peer, data: dict[str, Any]) -> dict[str, Any]:
    text = data.get("text")
    if not isinstance(text, str):
        raise Refused(400, "text must be a string")
    hocovisio = state()
    hocovisio.rate_limits.check_chat(peer.session_id)
    message = await messages.post_text(
        hocovisio.sql,
        peer.onetoone_id,
        peer.session_id,
        text,
        hocovisio.settings.message_max_chars,
    )
    return {"message": message}


HANDLERS: dict[str, Handler] = {"sendMessage": send_message}
