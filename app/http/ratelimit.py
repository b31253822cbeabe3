"""The HTTP side of the rate limits: which routes count against which action, by what key.

Link openings are counted per link, validations and uploads per credential, each also per
client address; the buckets are the running service's (``AppState.rate_limits``), those of
link openings and validations shared by every instance through the database.
"""

from quart import Quart, request

from app.http.auth import credential_from
from app.http.security import client_address
from app.runtime.state import state
from app.services.rate_limits import SHARED

_HTTP_ACTIONS = {
    "session.open_session": "session_open",
    "session.validate_session": "validate",
    "documents.upload_file": "upload",
}


def install(app: Quart) -> None:
    @app.before_request
    async def limit_request() -> None:
        action = _HTTP_ACTIONS.get(request.endpoint or "")
        if action is None:
            return
        if action == "session_open":
            key = "link:" + "/".join(str(v) for v in (request.view_args or {}).values())
        else:
            key = "credential:" + (credential_from(request.headers, request.cookies) or "-")
        limits = state().rate_limits
        if action in SHARED:
            await limits.check_shared(state().sql, action, key, client_address(request))
        else:
            limits.check(action, key, client_address(request))
