"""Who the client is and how it came: proxies, request ids, Origin, HSTS and Secure cookies.

``X-Forwarded-For``, ``X-Forwarded-Proto`` and ``X-Request-ID`` are believed only from a
``trusted_proxies`` address; otherwise anyone could pick their own address (and escape the
rate limits) or their own request id.
"""

from ipaddress import ip_address
from urllib.parse import urlsplit

from quart import Quart, Response, abort, request, websocket
from quart.wrappers.base import BaseRequestWebsocket

from app.config.logging_setup import new_request_id, request_id
from app.config.settings import Settings
from app.runtime.state import state

HSTS = "max-age=31536000"


def _trusted(settings: Settings, address: str | None) -> bool:
    if not address or not settings.trusted_proxies:
        return False
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in settings.trusted_proxies)


def client_address(connection: BaseRequestWebsocket) -> str:
    """The client's address: the last one before our trusted proxies in X-Forwarded-For."""
    settings = state().settings
    address = connection.remote_addr or "-"
    if not _trusted(settings, address):
        return address
    forwarded = [a.strip() for a in connection.headers.get("X-Forwarded-For", "").split(",")]
    for hop in reversed([a for a in forwarded if a]):
        if not _trusted(settings, hop):
            return hop
    return address


def is_secure(connection: BaseRequestWebsocket) -> bool:
    """Served over TLS, directly or through a trusted proxy that says so."""
    if connection.scheme in ("https", "wss"):
        return True
    if not _trusted(state().settings, connection.remote_addr):
        return False
    proto = connection.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return proto == "https"


def _same_origin(origin: str, host: str) -> bool:
    try:
        parts = urlsplit(origin)
    except ValueError:  # e.g. "http://[", which urlsplit takes for a broken IPv6 address
        return False
    return bool(parts.netloc) and parts.netloc.lower() == host.lower()


def origin_allowed(origin: str | None, host: str, allowed: list[str]) -> bool:
    """Clients without Origin (not browsers) pass; browsers must come from an allowed page."""
    if origin is None:
        return True
    if allowed:
        return origin.rstrip("/").lower() in {a.rstrip("/").lower() for a in allowed}
    return _same_origin(origin, host)


def _assign_request_id(connection: BaseRequestWebsocket) -> None:
    proposed = None
    if _trusted(state().settings, connection.remote_addr):
        proposed = connection.headers.get("X-Request-ID")
    request_id.set(new_request_id(proposed))


def install(app: Quart) -> None:
    @app.before_request
    async def identify_request() -> None:
        _assign_request_id(request)

    @app.before_websocket
    async def check_websocket() -> None:
        _assign_request_id(websocket)
        origin = websocket.headers.get("Origin")
        if not origin_allowed(origin, websocket.host, state().settings.allowed_origins):
            abort(403, "origin not allowed")

    @app.after_request
    async def harden(response: Response) -> Response:
        response.headers["X-Request-ID"] = request_id.get()
        # A JSON answer or an uploaded document is never to be run as a script or a page.
        response.headers["X-Content-Type-Options"] = "nosniff"
        # A page's address is its link, tokens included: no request it makes may carry it.
        response.headers["Referrer-Policy"] = "no-referrer"
        if is_secure(request):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
            cookies = response.headers.getlist("Set-Cookie")
            if cookies:
                response.headers.remove("Set-Cookie")
                for cookie in cookies:
                    secure = "; secure" in cookie.lower()
                    response.headers.add("Set-Cookie", cookie if secure else cookie + "; Secure")
        return response
