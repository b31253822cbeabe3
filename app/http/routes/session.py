"""Sessions: opening a participant's link, and the doctor admitting a re-opened one."""

from typing import Any

from quart import Blueprint, Response, jsonify
from quart_schema import validate_request

from app.auth import COOKIE_NAME, optional_caller, participant_required
from app.broker import Audience, Event
from app.errors import ApiError
from app.schemas import ValidateRequest
from app.schemas_responses import OpenedSession, Validated, documented
from app.services import sessions
from app.services.sessions import Caller, Opening, ValidationRefused
from app.state import state

bp = Blueprint("session", __name__)


@bp.get("/session/<onetoone_token>/<session_token>")
@documented(OpenedSession, 400, 401, 429, 503)
async def open_session(onetoone_token: str, session_token: str) -> Response:
    caller = await optional_caller()
    async with state().db() as db:
        result = await sessions.open_link(db, onetoone_token, session_token, caller)
    if result is None:
        raise ApiError(401, "session not valid")
    public = result.session.public(result.onetoone.token)
    body = dict(public)
    if result.credential is not None:
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
    if result.opening is Opening.PENDING:
        assert result.onetoone.id is not None
        state().broker.publish(
            result.onetoone.id,
            Event("newSessionToValidate", {"session": public}),
            Audience.role("medecin"),
        )
    return response


@bp.post("/validate")
@documented(Validated, 400, 401, 403, 404, 413, 429, 503)
@validate_request(ValidateRequest)
@participant_required()
async def validate_session(data: ValidateRequest, caller: Caller) -> dict[str, Any]:
    async with state().db() as db:
        try:
            session, changed = await sessions.validate(db, caller, data.sessionId)
        except ValidationRefused as refused:
            raise ApiError(refused.status, refused.msg) from None
    if changed:
        state().broker.publish(
            caller.onetoone_id,
            Event("newSessionIsValidate", {"session": session.public(caller.onetoone.token)}),
            Audience.sessions(data.sessionId),
        )
    return {"success": data.sessionId}
