"""Sessions: opening a participant's link, and the doctor admitting or refusing a re-opened
one."""

from typing import Any

from quart import Blueprint, Response, jsonify, request
from quart_schema import validate_request

from app.errors import Refused
from app.http.auth import COOKIE_NAME, participant_required, request_credential
from app.http.schemas import RefuseRequest, ValidateRequest
from app.http.schemas_responses import (
    LeftWaitingRoom,
    OpenedSession,
    RefusedSession,
    Validated,
    documented,
)
from app.http.security import sent_by_a_browser
from app.runtime.state import state
from app.services import sessions, waiting_room
from app.services.device_hints import device_hint
from app.services.sessions import Caller

bp = Blueprint("session", __name__)


@bp.get("/session/<onetoone_token>/<session_token>")
@documented(OpenedSession, 400, 401, 403, 429, 503)
async def open_session(onetoone_token: str, session_token: str) -> Response:
    settings = state().settings
    result = await sessions.open_link(
        state().sql,
        onetoone_token,
        session_token,
        request_credential(),
        device_hint(request.headers.get("User-Agent")),
        sessions.WaitingRoomLimits(
            settings.waiting_room_max,
            settings.waiting_room_arrivals,
            settings.waiting_room_refused_for,
        ),
    )
    if result is None:
        raise Refused(401, "session not valid")
    body = dict(result.session)
    if result.credential is not None and not sent_by_a_browser(request):
        # A page's script never reads its credential: the HttpOnly cookie carries it.
        body["credential"] = result.credential
    response = jsonify({"session": body})
    if result.credential is not None:
        response.set_cookie(
            COOKIE_NAME,
            result.credential,
            httponly=True,
            secure=state().settings.cookie_secure,
            samesite="Lax",
            path="/",
        )
    return response


@bp.post("/validate")
@documented(Validated, 400, 401, 403, 404, 409, 413, 429, 503)
@validate_request(ValidateRequest)
@participant_required()
async def validate_session(data: ValidateRequest, caller: Caller) -> dict[str, Any]:
    await waiting_room.admit(state().sql, caller, data.sessionId, data.replace)
    return {"success": data.sessionId}


@bp.post("/session/leave")
@documented(LeftWaitingRoom, 401, 409, 429, 503)
@participant_required(allow_pending=True)
async def leave_waiting_room(caller: Caller) -> dict[str, Any]:
    await waiting_room.leave(state().sql, caller)
    return {"left": caller.session_id}


@bp.post("/refuse")
@documented(RefusedSession, 400, 401, 403, 404, 409, 413, 429, 503)
@validate_request(RefuseRequest)
@participant_required()
async def refuse_session(data: RefuseRequest, caller: Caller) -> dict[str, Any]:
    await waiting_room.refuse(state().sql, caller, data.sessionId)
    return {"refused": data.sessionId}
