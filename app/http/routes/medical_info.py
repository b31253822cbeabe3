"""The shared medical form: each participant posts the fields it changed."""

from typing import Any

from quart import Blueprint
from quart_schema import RequestSchemaValidationError, validate_request

from app.http.auth import request_credential
from app.http.schemas import InfosRequest
from app.http.schemas_responses import Form, documented
from app.runtime.state import state
from app.services import medical_info

bp = Blueprint("medical_info", __name__)


@bp.errorhandler(RequestSchemaValidationError)
async def data_not_valid(_: RequestSchemaValidationError) -> tuple[dict[str, str], int]:
    """The original specification answers 401 for missing or malformed form data."""
    return {"msg": "data not valid"}, 401


@bp.get("/session/infos")
@documented(Form, 400, 401, 403, 503)
async def read_infos() -> dict[str, Any]:
    """A participant's request: ``medical_info.read`` checks the credential."""
    form_id, data = await medical_info.read(state().sql, request_credential())
    return {"id": form_id, "data": data}


@bp.post("/session/infos")
@documented(Form, 400, 401, 403, 413, 503)
@validate_request(InfosRequest)
async def update_infos(data: InfosRequest) -> dict[str, Any]:
    """A participant's request: ``medical_info.merge`` checks the credential."""
    form_id = await medical_info.merge(
        state().sql,
        request_credential(),
        data.data,
        state().settings.form_max_bytes,
    )
    return {"id": form_id, "data": data.data}
