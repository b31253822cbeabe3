"""Chat messages: posting text over HTTP, and the history for a participant who reconnects."""

from typing import Any

from quart import Blueprint
from quart_schema import validate_querystring, validate_request

from app.http.auth import participant_required, request_credential
from app.http.schemas import MessageRequest, MessagesQuery
from app.http.schemas_responses import MessagePage, PostedMessage, documented
from app.runtime.state import state
from app.services import messages
from app.services.sessions import Caller

bp = Blueprint("messages", __name__)


@bp.post("/message")
@documented(PostedMessage, 400, 401, 403, 413, 429, 503)
@validate_request(MessageRequest)
@participant_required()
async def send_message(data: MessageRequest, caller: Caller) -> dict[str, Any]:
    state().rate_limits.check_chat(caller.session_id)
    message = await messages.post_text(
        state().sql,
        caller.onetoone_id,
        caller.session_id,
        data.text,
        state().settings.message_max_chars,
    )
    return {"message": message}


@bp.get("/messages")
@documented(MessagePage, 400, 401, 403, 503)
@validate_querystring(MessagesQuery)
async def list_messages(query_args: MessagesQuery) -> dict[str, Any]:
    """A participant's request: ``messages.page`` checks the credential."""
    shown, more = await messages.page(
        state().sql, request_credential(), query_args.before, query_args.limit
    )
    return {"messages": shown, "more": more}
