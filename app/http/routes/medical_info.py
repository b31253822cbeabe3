"""The shared medical form: each participant posts the fields it changed."""

from typing import Any

from quart import Blueprint
from quart_schema import RequestSchemaValidationError, validate_request

from app.http.auth import participant_required
from app.http.schemas import InfosRequest
from app.http.schemas_responses import Form, documented
from app.runtime.state import state
from app.services import medical_info
from app.services.audit import Actor
from app.services.sessions import Caller

bp = Blueprint("medical_info", __name__)


@bp.errorhandler(RequestSchemaValidationError)
async def data_not_valid(_: RequestSchemaValidationError) -> tuple[dict[str, str], int]:
    """The original specification answers 401 for missing or malformed form data."""
    return {"msg": "data not valid"}, 401


def _actor(caller: Caller) -> Actor:
    return Actor(caller.session.role, caller.session_id)


@bp.get("/session/infos")
@documented(Form, 400, 401, 403, 503)
@participant_required()
async def read_infos(caller: Caller) -> dict[str, Any]:
    async with state().db() as db:
        form = await medical_info.read(db, caller.onetoone_id, _actor(caller))
    return {"id": form.id, "data": form.data}


@bp.post("/session/infos")
@documented(Form, 400, 401, 403, 413, 503)
@validate_request(InfosRequest)
@participant_required()
async def update_infos(data: InfosRequest, caller: Caller) -> dict[str, Any]:
    async with state().db() as db:
        form_id = await medical_info.merge(
            db,
            state().broker,
            caller.onetoone_id,
            data.data,
            _actor(caller),
            state().settings.form_max_bytes,
        )
    return {"id": form_id, "data": data.data}
