"""protoo framing: requests, responses and notifications as JSON objects."""

import json
from dataclasses import dataclass
from typing import Any

from app.input_guard import InputRefused, check
from app.input_guard import parse as parse_json


class FrameError(ValueError):
    """A frame the server cannot make sense of; ``request_id`` when it is a request whose id
    could be read, so that the error answers that request."""

    def __init__(self, reason: str, request_id: int | None = None) -> None:
        super().__init__(reason)
        self.request_id = request_id


@dataclass(frozen=True)
class Request:
    id: int
    method: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Response:
    id: int
    ok: bool
    data: Any
    error_reason: str | None


def parse(text: str | bytes) -> Request | Response:
    """A client frame, checked by ``input_guard`` like every JSON body before any handler."""
    try:
        frame = parse_json(text)
    except InputRefused as refused:
        raise FrameError(str(refused)) from None
    if not isinstance(frame, dict):
        raise FrameError("frame is not a JSON object")
    frame_id = frame.get("id")
    if not isinstance(frame_id, int) or isinstance(frame_id, bool):
        raise FrameError("frame has no integer id")
    try:
        check(frame_id, "frame.id")
    except InputRefused as refused:
        raise FrameError(str(refused)) from None
    # The error answers a request; the client would take one for a response to its own.
    request_id = frame_id if frame.get("request") is True else None
    try:
        check(frame, "frame")
    except InputRefused as refused:
        raise FrameError(str(refused), request_id) from None
    if frame.get("request") is True:
        method, data = frame.get("method"), frame.get("data", {})
        if not isinstance(method, str) or not method:
            raise FrameError("request has no method")
        if not isinstance(data, dict):
            raise FrameError("request data is not an object")
        return Request(frame_id, method, data)
    if frame.get("response") is True:
        return Response(
            frame_id, frame.get("ok") is True, frame.get("data"), frame.get("errorReason")
        )
    raise FrameError("frame is neither a request nor a response")


def request(frame_id: int, method: str, data: Any) -> str:
    return json.dumps({"request": True, "id": frame_id, "method": method, "data": data})


def success(frame_id: int | None, data: Any) -> str:
    return json.dumps({"response": True, "id": frame_id, "ok": True, "data": data or {}})


def failure(frame_id: int | None, reason: str) -> str:
    return json.dumps({"response": True, "id": frame_id, "ok": False, "errorReason": reason})


def notification(method: str, data: Any) -> str:
    return json.dumps({"notification": True, "method": method, "data": data})
