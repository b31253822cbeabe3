"""The browser client: the single-page app that ``make web`` builds into ``web/dist``.

Pages: ``/`` (the operator creates a consultation) and ``/join/<onetoone>/<session>`` (a
participant's consultation page); the built files are served under ``/assets/``.
"""

from pathlib import Path

from quart import Blueprint, Response, send_from_directory
from werkzeug.exceptions import NotFound

from app.errors import Refused

WEB_DIST = Path(__file__).resolve().parents[3] / "web" / "dist"

# The page loads only its own script and style; media comes from getUserMedia and WebRTC.
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; media-src 'self' blob: mediastream:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)

bp = Blueprint("web", __name__)


@bp.get("/")
@bp.get("/join/<onetoone_token>/<session_token>")
async def page(onetoone_token: str | None = None, session_token: str | None = None) -> Response:
    response = await _send(WEB_DIST, "index.html")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    return response


@bp.get("/assets/<path:name>")
async def asset(name: str) -> Response:
    response = await _send(WEB_DIST / "assets", name)
    response.headers["Cache-Control"] = "no-cache"
    return response


async def _send(directory: Path, name: str) -> Response:
    if not (WEB_DIST / "index.html").is_file():
        raise Refused(404, "the web client is not built: run `make web`")
    try:
        return await send_from_directory(directory, name)
    except NotFound:
        raise Refused(404, "not found") from None
