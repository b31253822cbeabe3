"""Who is calling: an operator (the clinic's backend) or a participant's session credential.

Views say whom they serve with ``operator_required`` or ``participant_required``.
"""

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from quart import request
from werkzeug.datastructures import Headers

from app.errors import Refused
from app.runtime.state import state
from app.services.sessions import Caller, authenticate
from app.services.tokens import same_secret

COOKIE_NAME = "hocovisio_session"


def bearer_token(headers: Headers) -> str | None:
    scheme, _, value = headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def credential_from(headers: Headers, cookies: Any) -> str | None:
    return bearer_token(headers) or cookies.get(COOKIE_NAME) or None


def is_operator(headers: Headers) -> bool:
    key = state().settings.operator_key
    given = bearer_token(headers)
    return key is not None and given is not None and same_secret(given, key.get_secret_value())


async def optional_caller() -> Caller | None:
    async with state().db() as db:
        return await authenticate(db, credential_from(request.headers, request.cookies))


View = Callable[..., Awaitable[Any]]


def operator_required(view: View) -> View:
    """401 unless the request carries the operator key."""

    @wraps(view)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not is_operator(request.headers):
            raise Refused(401, "operator key required")
        return await view(*args, **kwargs)

    return wrapper


def participant_required(
    allow_pending: bool = False,
) -> Callable[[View], View]:
    """Give the view a ``caller`` keyword: 401 without a live credential, 403 while pending."""

    def decorator(view: View) -> View:
        @wraps(view)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            caller = await optional_caller()
            if caller is None:
                raise Refused(401, "session not valid")
            if caller.session.is_pending and not allow_pending:
                raise Refused(403, "session is waiting for the doctor's validation")
            return await view(*args, caller=caller, **kwargs)

        return wrapper

    return decorator
