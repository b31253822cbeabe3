"""Chat requests on the socket: ``sendMessage {text}`` -> ``{message}``."""

from typing import Any

from app.ratelimit import RateLimited, check_chat
from app.services import messages
from app.services.messages import MessageRefused
from app.state import state
from app.ws.peer import Peer
from app.ws.requests import RequestError, requests


@requests.method("sendMessage")
async def send_message(peer: Peer, data: dict[str, Any]) -> dict[str, Any]:
    text = data.get("text")
    if not isinstance(text, str):
        raise RequestError("text must be a string")
    try:
        check_chat(peer.session_id)
    except RateLimited:
        raise RequestError("rate limited") from None
    try:
        async with state().db() as db:
            message = await messages.post_text(
                db,
                state().broker,
                peer.onetoone_id,
                peer.session_id,
                text,
                state().settings.message_max_chars,
            )
    except MessageRefused as refused:
        raise RequestError(refused.msg) from None
    return {"message": message}
