"""Who is calling: an operator (the clinic's backend) or a participant's session credential.

Views say whom they serve with ``operator_required`` or ``participant_required``. The hottest
ones instead hand the ``request_credential`` to a service that checks it in the statement
that does their work (one round trip), under the same rule (``sessions.admitted``).
"""

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from quart import request
from werkzeug.datastructures import Headers

from app.errors import Refused
from app.runtime.state import state
from app.services.sessions import Caller, admitted, authenticate
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


def request_credential() -> str | None:
    """The request's session credential (bearer token or cookie), unchecked."""
    return credential_from(request.headers, request.cookies)


async def optional_caller() -> Caller | None:
    return await authenticate(state().sql, request_credential())


View = Callable[..., Awaitable[Any]]


def operator_required(view: View) -> View:
    """401 unless the request carries the operator key: "required" without a bearer token,
    "not valid" with another one (the operator's page then says which)."""

    @wraps(view)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not is_operator(request.headers):
            given = bearer_token(request.headers) is not None
            raise Refused(401, "operator key not valid" if given else "operator key required")
        return await view(*args, **kwargs)

    return wrapper


def participant_required(
    allow_pending: bool = False,
) -> Callable[[View], View]:
    """Give the view a ``caller`` keyword: 401 without a live credential, 403 while pending."""

    def decorator(view: View) -> View:
        @wraps(view)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            caller = admitted(await optional_caller(), allow_pending)
            return await view(*args, caller=caller, **kwargs)

        return wrapper

    return decorator
