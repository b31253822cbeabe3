"""Who the client is and how it came: proxies, request ids, Origin, HSTS and Secure cookies.

A request that changes something, authenticated by the session cookie, and the WebSocket, are
refused (403 ``origin not allowed``) when a browser sends them from a page of another origin:
SameSite=Lax covers neither another port nor a sibling subdomain.

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
from app.errors import Refused
from app.http.auth import COOKIE_NAME, bearer_token
from app.runtime.state import state

HSTS = "max-age=31536000"
ORIGIN_REFUSED = "origin not allowed"


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


def _same_origin(origin: str, scheme: str, host: str) -> bool:
    try:
        parts = urlsplit(origin)
    except ValueError:  # e.g. "http://[", which urlsplit takes for a broken IPv6 address
        return False
    # A page of our own host over https, where we see http: a TLS proxy in front that is
    # not among ``trusted_proxies`` (it could not say so). The other way round, an http page
    # where we serve https, is a page anyone on the network path could have written.
    schemes = {scheme, "https"}
    return (
        parts.scheme.lower() in schemes
        and bool(parts.netloc)
        and parts.netloc.lower() == host.lower()
    )


def origin_allowed(origin: str | None, scheme: str, host: str, allowed: list[str]) -> bool:
    """Clients without Origin (not browsers) pass; browsers must come from an allowed page:
    one of ``allowed``, or, when none is configured, this very origin (``scheme``, http or
    https, and ``host``): another port, a sibling subdomain or http where we serve https is
    another origin."""
    if origin is None:
        return True
    if allowed:
        return origin.rstrip("/").lower() in {a.rstrip("/").lower() for a in allowed}
    return _same_origin(origin, scheme, host)


# Methods that change something: a browser may send them cross-site (a form, a fetch in
# no-cors mode) with the session cookie, SameSite=Lax or not (a sibling subdomain, another
# port: same site).
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# What a browser's Sec-Fetch-Site says of a request sent from another origin.
OTHER_ORIGIN = frozenset({"cross-site", "same-site"})


def from_another_origin(connection: BaseRequestWebsocket) -> bool:
    """Whether a browser sent this from a page of another origin than ours (or of the
    allowed ones): by its Origin, or, without one, by its Sec-Fetch-Site."""
    scheme = "https" if is_secure(connection) else "http"
    origin = connection.headers.get("Origin")
    if origin is not None:
        return not origin_allowed(origin, scheme, connection.host, state().settings.allowed_origins)
    return connection.headers.get("Sec-Fetch-Site", "").lower() in OTHER_ORIGIN


def sent_by_a_browser(connection: BaseRequestWebsocket) -> bool:
    """Whether a browser sent the request: every current one sends Sec-Fetch-Site with each
    request, and no script can set it."""
    return "Sec-Fetch-Site" in connection.headers


def _cookie_authenticated(connection: BaseRequestWebsocket) -> bool:
    """Whether the request is authenticated by the session cookie, the one credential a
    browser attaches by itself (a bearer token is never attached across origins)."""
    return COOKIE_NAME in connection.cookies and bearer_token(connection.headers) is None


def _assign_request_id(connection: BaseRequestWebsocket) -> None:
    proposed = None
    if _trusted(state().settings, connection.remote_addr):
        proposed = connection.headers.get("X-Request-ID")
    request_id.set(new_request_id(proposed))


def install(app: Quart) -> None:
    @app.before_request
    async def identify_request() -> None:
        _assign_request_id(request)
        if (
            request.method in STATE_CHANGING
            and _cookie_authenticated(request)
            and from_another_origin(request)
        ):
            raise Refused(403, ORIGIN_REFUSED)

    @app.before_websocket
    async def check_websocket() -> None:
        _assign_request_id(websocket)
        if from_another_origin(websocket):
            abort(403, ORIGIN_REFUSED)

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
