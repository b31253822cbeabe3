"""Every error leaves as JSON ``{msg: ...}`` with its HTTP status."""

import logging

from quart import Quart, Response, jsonify
from quart_schema import RequestSchemaValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from app.db import sqlstate

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


def _unavailable(msg: str) -> Response:
    response = jsonify({"msg": msg})
    response.status_code = 503
    response.headers["Retry-After"] = "1"
    return response


def register_error_handlers(app: Quart) -> None:
    @app.errorhandler(PoolTimeout)
    async def pool_exhausted(_: PoolTimeout) -> Response:
        log.warning("no free database connection")
        return _unavailable("the service is busy, try again")

    @app.errorhandler(DBAPIError)
    async def database_error(error: DBAPIError) -> Response | tuple[dict[str, str], int]:
        """The database's refusals, answered without a word of the statement or its values."""
        code = sqlstate(error) or "-"
        if isinstance(error, OperationalError | InterfaceError) or error.connection_invalidated:
            log.warning("database unavailable (%s, SQLSTATE %s)", type(error.orig).__name__, code)
            return _unavailable("the database is unavailable, try again")
        if code.startswith("22"):  # data exception: a value the database cannot take
            log.warning("database refused a value (SQLSTATE %s)", code)
            return {"msg": "a value in the request is not valid"}, 400
        log.error("database error (%s, SQLSTATE %s)", type(error.orig).__name__, code)
        return {"msg": "internal error"}, 500

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
