"""Consultations: created by the clinic's backend, ended by it or by the doctor."""

from typing import Any

from pydantic import ValidationError
from quart import Blueprint, request
from quart_schema import document_request

from app.errors import Refused
from app.http.auth import is_operator, operator_required, optional_caller
from app.http.schemas import CreateOneToOneRequest
from app.http.schemas_responses import CreatedOneToOne, Ended, documented
from app.runtime.state import state
from app.services import onetoones
from app.services.audit import OPERATOR, Actor

bp = Blueprint("onetoone", __name__)


@bp.post("/onetoone")
@documented(CreatedOneToOne, 400, 401, 413, 503)
@document_request(CreateOneToOneRequest)
@operator_required
async def create_onetoone() -> dict[str, Any]:
    options = await _options()
    e2ee = state().settings.e2ee_default if options.e2ee is None else options.e2ee
    onetoone, sessions = await onetoones.create(state().sql, e2ee, options.doctor_name)
    return {"onetoone": onetoone, "sessions": sessions}


OPTION_RULES = {
    "e2ee": "e2ee must be true or false",
    "doctor_name": "doctor_name must be 1 to 100 characters, without control characters",
}
ALL_OPTIONS = "an object of e2ee (true or false) and doctor_name (text)"


async def _options() -> CreateOneToOneRequest:
    """The body is optional (the original specification sends none): no body, no options."""
    if not await request.get_data():
        return CreateOneToOneRequest()
    try:
        return CreateOneToOneRequest.model_validate(await request.get_json(force=True))
    except ValidationError as error:
        field = next((str(e["loc"][0]) for e in error.errors() if e["loc"]), None)
        raise Refused(400, f"options not valid: {OPTION_RULES.get(field, ALL_OPTIONS)}") from error


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
