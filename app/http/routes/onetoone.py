"""Consultations: created by the clinic's backend, ended by it or by the doctor."""

from typing import Any

from quart import Blueprint, request

from app.auth import is_operator, optional_caller
from app.errors import ApiError
from app.schemas_responses import CreatedOneToOne, Ended, documented
from app.services import onetoones
from app.services.audit import OPERATOR, Actor
from app.services.onetoones import Live
from app.state import state

bp = Blueprint("onetoone", __name__)


@bp.post("/onetoone")
@documented(CreatedOneToOne, 400, 401, 503)
async def create_onetoone() -> dict[str, Any]:
    if not is_operator(request.headers):
        raise ApiError(401, "operator key required")
    async with state().db() as db:
        onetoone, sessions = await onetoones.create(db)
    return {
        "onetoone": onetoone.public(),
        "sessions": [session.public(onetoone.token) for session in sessions],
    }


@bp.delete("/onetoone/<token>")
@documented(Ended, 400, 401, 403, 404, 503)
async def kill_onetoone(token: str) -> dict[str, Any]:
    operator = is_operator(request.headers)
    caller = None if operator else await optional_caller()
    if not operator and caller is None:
        raise ApiError(401, "operator key or doctor's session required")
    async with state().db() as db:
        onetoone = await onetoones.find(db, token)
        if caller is not None and (onetoone is None or caller.onetoone_id != onetoone.id):
            raise ApiError(403, "not your consultation")
        if caller is not None and caller.session.role != "medecin":
            raise ApiError(403, "only the doctor can end the consultation")
        if onetoone is None:
            raise ApiError(404, "consultation not found")
        if onetoone.status == "active":
            assert onetoone.id is not None
            actor = Actor(OPERATOR) if caller is None else Actor("medecin", caller.session_id)
            live = Live(state().broker, state().media)
            await onetoones.end(db, onetoone.id, "killed", actor, state().storage, live)
    return {}
