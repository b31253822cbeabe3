"""The HTTP mapping of every error: JSON ``{msg: ...}`` with its status.

A ``Refused`` (``app.errors``) keeps its status and message; a ``RateLimited`` one also says
when to come back (``Retry-After``); the database's failures become 503 or 400 without a word
of the statement; anything unexpected is a 500 ``internal error``, logged.
"""

import logging
import math

from quart import Quart, Response, jsonify
from quart_schema import RequestSchemaValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from app.errors import Refused
from app.persistence.db import BUSY, database_unavailable, sqlstate
from app.services.rate_limits import RateLimited

log = logging.getLogger(__name__)


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


def install(app: Quart) -> None:
    @app.errorhandler(PoolTimeout)
    async def pool_exhausted(error: PoolTimeout) -> Response:
        log.warning("no free database connection")
        return _unavailable(BUSY)

    @app.errorhandler(DBAPIError)
    async def database_error(error: DBAPIError) -> Response | tuple[dict[str, str], int]:
        """The database's refusals, answered without a word of the statement or its values."""
        code = sqlstate(error) or "-"
        unavailable = database_unavailable(error)
        if unavailable is not None:
            log.warning("database unavailable (%s, SQLSTATE %s)", type(error.orig).__name__, code)
            return _unavailable(unavailable)
        if code.startswith("22"):  # data exception: a value the database cannot take
            log.warning("database refused a value (SQLSTATE %s)", code)
            return {"msg": "a value in the request is not valid"}, 400
        log.error("database error (%s, SQLSTATE %s)", type(error.orig).__name__, code)
        return {"msg": "internal error"}, 500

    @app.errorhandler(Refused)
    async def refused(error: Refused) -> Response:
        response = jsonify({"msg": error.msg})
        response.status_code = error.status
        if error.retry_after is not None:
            response.headers["Retry-After"] = str(max(1, math.ceil(error.retry_after)))
        return response

    @app.errorhandler(RateLimited)
    async def rate_limited(error: RateLimited) -> Response:
        response = jsonify({"msg": "rate limited, try again later"})
        response.status_code = 429
        response.headers["Retry-After"] = str(max(1, math.ceil(error.retry_after)))
        return response

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
