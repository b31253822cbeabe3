"""Consultations: created by the clinic's backend, ended by it or by the doctor."""

from typing import Any

from quart import Blueprint, request

from app.errors import Refused
from app.http.auth import is_operator, operator_required, optional_caller
from app.http.schemas_responses import CreatedOneToOne, Ended, documented
from app.runtime.state import state
from app.services import onetoones
from app.services.audit import OPERATOR, Actor

bp = Blueprint("onetoone", __name__)


@bp.post("/onetoone")
@documented(CreatedOneToOne, 400, 401, 503)
@operator_required
async def create_onetoone() -> dict[str, Any]:
    onetoone, sessions = await onetoones.create(state().sql)
    return {"onetoone": onetoone, "sessions": sessions}


@bp.delete("/onetoone/<token>")
@documented(Ended, 400, 401, 403, 404, 503)
async def kill_onetoone(token: str) -> dict[str, Any]:
    operator = is_operator(request.headers)
    caller = None if operator else await optional_caller()
    if not operator and caller is None:
        raise Refused(401, "operator key or doctor's session required")
    if caller is None:
        actor, own_onetoone_id = Actor(OPERATOR), None
    else:
        actor, own_onetoone_id = Actor(caller.role, caller.session_id), caller.onetoone_id
    await onetoones.end_on_request(state().sql, token, actor, own_onetoone_id, state().storage)
    return {}
