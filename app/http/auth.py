"""Who is calling: an operator (the clinic's backend) or a participant's session credential."""

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from quart import request
from werkzeug.datastructures import Headers

from app.errors import ApiError
from app.services.sessions import Caller, authenticate
from app.services.tokens import same_secret
from app.state import state

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


def participant_required(
    allow_pending: bool = False,
) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]:
    """Give the view a ``caller`` keyword: 401 without a live credential, 403 while pending."""

    def decorator(view: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        @wraps(view)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            caller = await optional_caller()
            if caller is None:
                raise ApiError(401, "session not valid")
            if caller.session.is_pending and not allow_pending:
                raise ApiError(403, "session is waiting for the doctor's validation")
            return await view(*args, caller=caller, **kwargs)

        return wrapper

    return decorator
