"""Every error leaves as JSON ``{msg: ...}`` with its HTTP status."""

import logging

from quart import Quart
from quart_schema import RequestSchemaValidationError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, msg: str) -> None:
        super().__init__(msg)
        self.status = status
        self.msg = msg


def _schema_error_message(error: RequestSchemaValidationError) -> str:
    validation = error.validation_error
    if hasattr(validation, "errors"):
        parts = [
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
            for e in validation.errors()
        ]
        return "invalid request: " + "; ".join(parts)
    return "invalid request body"


def register_error_handlers(app: Quart) -> None:
    @app.errorhandler(ApiError)
    async def api_error(error: ApiError) -> tuple[dict[str, str], int]:
        return {"msg": error.msg}, error.status

    @app.errorhandler(RequestSchemaValidationError)
    async def schema_error(error: RequestSchemaValidationError) -> tuple[dict[str, str], int]:
        return {"msg": _schema_error_message(error)}, 400

    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException) -> tuple[dict[str, str], int]:
        status = error.code or 500
        if status >= 500:
            log.error("HTTP %s: %s", status, error.description)
            return {"msg": "internal error"}, status
        return {"msg": error.description or error.name}, status

    @app.errorhandler(Exception)
    async def unexpected(error: Exception) -> tuple[dict[str, str], int]:
        log.exception("unhandled error", exc_info=error)
        return {"msg": "internal error"}, 500
