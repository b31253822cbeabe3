"""Documents: uploading one into a consultation, and downloading it."""

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any
from urllib.parse import quote

from quart import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_range_header

from app.errors import Refused
from app.http.auth import participant_required
from app.http.multipart import MultipartError, file_part
from app.http.schemas_responses import UploadedDocument, documented
from app.persistence.models import Document
from app.runtime.state import state
from app.services import documents
from app.services.audit import Actor
from app.services.documents import UploadRules
from app.services.filetypes import TEXT, safe_name
from app.services.sessions import Caller

bp = Blueprint("documents", __name__)

FIELD = "document"
# Room for the multipart boundaries and part headers around the file itself.
MULTIPART_OVERHEAD = 64 * 1024


def _rules() -> UploadRules:
    settings = state().settings
    return UploadRules(
        max_bytes=settings.upload_max_bytes,
        quota_bytes=settings.upload_quota_bytes,
        allowed_types=frozenset(settings.upload_allowed_types),
    )


def _boundary() -> bytes:
    boundary = request.mimetype_params.get("boundary", "")
    if request.mimetype != "multipart/form-data" or not boundary:
        raise Refused(400, "a multipart/form-data body is expected")
    return boundary.encode("latin-1", errors="replace")


@bp.post("/upload-file")
@documented(UploadedDocument, 400, 401, 403, 408, 413, 415, 429, 503)
@participant_required()
async def upload_file(caller: Caller) -> dict[str, Any]:
    """Stream the file part ``document`` into storage, then record it and announce it.

    The body is never held whole: it is parsed as it arrives and written to a temporary
    object, committed in storage only together with the database rows.
    """
    rules = _rules()
    boundary = _boundary()
    limit = rules.max_bytes + MULTIPART_OVERHEAD
    if request.content_length is not None and request.content_length > limit:
        raise Refused(413, rules.too_large().msg)
    request.max_content_length = limit
    try:
        async with state().db() as db:
            used = await documents.used_bytes(db, caller.onetoone_id)
        if used >= rules.quota_bytes:
            raise rules.over_quota()
        body = _stalls_after(request.body, current_app.config["BODY_TIMEOUT"])
        parts = file_part(body, boundary, FIELD)
        name = safe_name(str(await anext(parts)))
        received = await documents.receive(_only_bytes(parts), state().storage, rules, used)
        # The whole body is in: finish even if the client goes away meanwhile.
        document = await asyncio.shield(_finish(caller, name, received, rules))
    except MultipartError as error:
        raise Refused(400, str(error)) from None
    except RequestEntityTooLarge:
        raise Refused(413, rules.too_large().msg) from None
    return {"document": document.public()}


async def _finish(
    caller: Caller, name: str, received: documents.Received, rules: UploadRules
) -> Document:
    async with state().db() as db:
        return await documents.add(db, caller.onetoone_id, _actor(caller), name, received, rules)


async def _stalls_after(body: AsyncIterable[bytes], seconds: float) -> AsyncIterator[bytes]:
    """The body, refused with 408 when no data comes for ``seconds``."""
    chunks = aiter(body)
    while True:
        try:
            async with asyncio.timeout(seconds):
                chunk = await anext(chunks)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise Refused(408, "the upload stalled") from None
        yield chunk


async def _only_bytes(parts: AsyncIterator[str | bytes]) -> AsyncIterator[bytes]:
    async for part in parts:
        assert isinstance(part, bytes)
        yield part


@bp.get("/document/<id:document_id>")
@documented(None, 400, 401, 403, 404, 416, 503)  # 200 and 206: the file
@participant_required()
async def download(document_id: int, caller: Caller) -> Response:
    async with state().db() as db:
        document = await documents.find(db, document_id, caller.onetoone_id)
    if document is None:
        raise Refused(404, "document not found")
    storage = state().storage
    size = storage.size(document.storage_key)
    if size is None:
        raise Refused(404, "document not found")

    headers = _download_headers(document)
    span = _requested_span(size, headers["ETag"])
    if span is None:
        status, start, end = 200, 0, size
    elif span == "unsatisfiable":
        refusal = jsonify({"msg": "requested range not satisfiable"})
        refusal.status_code = 416
        refusal.headers["Content-Range"] = f"bytes */{size}"
        return refusal
    else:
        status, (start, end) = 206, span
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    headers["Content-Length"] = str(end - start)
    async with state().db() as db:
        await documents.audit_download(db, document, _actor(caller))
    content_type = headers.pop("Content-Type")
    response = Response(
        storage.read(document.storage_key, start, end), status, headers, content_type=content_type
    )
    response.timeout = None  # a large download may take longer than RESPONSE_TIMEOUT
    return response


def _actor(caller: Caller) -> Actor:
    return Actor(role=caller.role, session_id=caller.session_id)


def _download_headers(document: Document) -> dict[str, str]:
    content_type = document.content_type
    if content_type == TEXT:
        content_type = "text/plain; charset=utf-8"
    return {
        "Content-Type": content_type,
        "Content-Disposition": _attachment(document.name),
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Accept-Ranges": "bytes",
        "ETag": f'"{document.sha256}"',
    }


def _attachment(name: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact one in RFC 5987 form."""
    fallback = "".join(
        ch if ch.isascii() and ch.isprintable() and ch not in '"\\;%' else "_" for ch in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _requested_span(size: int, etag: str) -> tuple[int, int] | str | None:
    """The single byte range asked for, "unsatisfiable", or None to send the whole file.

    Several ranges, a malformed header, or an ``If-Range`` that no longer matches all get the
    whole file, as RFC 9110 allows.
    """
    header = request.headers.get("Range")
    if not header:
        return None
    if_range = request.headers.get("If-Range")
    if if_range is not None and if_range != etag:
        return None
    parsed = parse_range_header(header)
    if parsed is None or parsed.units != "bytes" or len(parsed.ranges) != 1:
        return None
    start, end = parsed.ranges[0]
    if end is None:
        start, end = (max(0, size + start), size) if start < 0 else (start, size)
    end = min(end, size)
    if start >= end:
        return "unsatisfiable"
    return start, end
