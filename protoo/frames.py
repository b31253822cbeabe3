"""protoo framing: requests, responses and notifications as JSON objects.

Two readers, for the two sides: ``parse`` reads what a client sends to the server, strictly
and through the server's hostile-input ``Guard``; ``read`` reads what the server sends to a
client (the server is trusted: plain JSON, a notification or an error answering no request).
"""

import json
from dataclasses import dataclass
from typing import Any, Protocol


class Guard(Protocol):
    """What a JSON document must pass before the server looks at it: the server gives its own
    (``app.input_guard``); both raise ``ValueError`` with a message for the client."""

    def parse(self, data: str | bytes) -> Any:
        """The JSON value of ``data``: UTF-8, depth and syntax checked."""
        ...

    def check(self, value: Any, where: str, text: str | None = None) -> None:
        """Refuse what ``json`` lets through (NUL, lone surrogates, huge or non-finite numbers);
        ``text``, the JSON ``value`` was parsed from, may spare a walk over it."""
        ...


class FrameError(ValueError):
    """A frame that cannot be made sense of; ``request_id`` when it is a request whose id
    could be read, so that the error answers that request."""

    def __init__(self, reason: str, request_id: int | None = None) -> None:
        super().__init__(reason)
        self.request_id = request_id


@dataclass(frozen=True)
class Request:
    id: int
    method: str
    data: dict[str, Any]

    def frame(self) -> dict[str, Any]:
        return {"request": True, "id": self.id, "method": self.method, "data": self.data}


@dataclass(frozen=True)
class Response:
    """An answer; ``id`` is None for an error about a frame whose request id was unreadable."""

    id: int | None
    ok: bool
    data: Any
    error_reason: str | None

    def frame(self) -> dict[str, Any]:
        if self.ok:
            return {"response": True, "id": self.id, "ok": True, "data": self.data}
        return {"response": True, "id": self.id, "ok": False, "errorReason": self.error_reason}


@dataclass(frozen=True)
class Notification:
    method: str
    data: Any

    def frame(self) -> dict[str, Any]:
        return {"notification": True, "method": self.method, "data": self.data}


Frame = Request | Response | Notification


def parse(text: str | bytes, guard: Guard) -> Request | Response:
    """A client's frame, checked by ``guard`` before anything else looks at it."""
    try:
        frame = guard.parse(text)
    except ValueError as refused:
        raise FrameError(str(refused)) from None
    if not isinstance(frame, dict):
        raise FrameError("frame is not a JSON object")
    frame_id = frame.get("id")
    if not isinstance(frame_id, int) or isinstance(frame_id, bool):
        raise FrameError("frame has no integer id")
    try:
        guard.check(frame_id, "frame.id")
    except ValueError as refused:
        raise FrameError(str(refused)) from None
    # The error answers a request; the client would take one for a response to its own.
    request_id = frame_id if frame.get("request") is True else None
    try:
        guard.check(frame, "frame", text if isinstance(text, str) else None)
    except ValueError as refused:
        raise FrameError(str(refused), request_id) from None
    if frame.get("request") is True:
        method, data = frame.get("method"), frame.get("data", {})
        if not isinstance(method, str) or not method:
            raise FrameError("request has no method", request_id)
        if not isinstance(data, dict):
            raise FrameError("request data is not an object", request_id)
        return Request(frame_id, method, data)
    if frame.get("response") is True:
        return Response(
            frame_id, frame.get("ok") is True, frame.get("data"), frame.get("errorReason")
        )
    raise FrameError("frame is neither a request nor a response")


def read(text: str | bytes) -> Frame:
    """A frame from the server; ``FrameError`` (a ``ValueError``) when it is none."""
    try:
        frame = json.loads(text)
    except ValueError as error:
        raise FrameError(f"invalid JSON: {error}") from None
    if not isinstance(frame, dict):
        raise FrameError("frame is not a JSON object")
    if frame.get("notification"):
        return Notification(frame.get("method", ""), frame.get("data"))
    if frame.get("response"):
        ok = bool(frame.get("ok"))
        return Response(frame.get("id"), ok, frame.get("data"), frame.get("errorReason"))
    if frame.get("request"):
        frame_id = frame.get("id")
        if not isinstance(frame_id, int) or isinstance(frame_id, bool):
            raise FrameError("request has no integer id")
        return Request(frame_id, frame.get("method", ""), frame.get("data") or {})
    raise FrameError("frame is neither a request, a response nor a notification")


def request(frame_id: int, method: str, data: Any) -> str:
    return json.dumps(Request(frame_id, method, data).frame())


def success(frame_id: int | None, data: Any) -> str:
    return json.dumps(Response(frame_id, True, data or {}, None).frame())


def failure(frame_id: int | None, reason: str) -> str:
    return json.dumps(Response(frame_id, False, None, reason).frame())


def notification(method: str, data: Any) -> str:
    return json.dumps(Notification(method, data).frame())
