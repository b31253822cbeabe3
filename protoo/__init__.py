"""The protoo protocol, as mediasoup-demo speaks it over a WebSocket: its frames and one
request/response peer, shared by the server, the station, the tests and the benchmarks.

It imports nothing of the service. ``protoo.websocket`` (the client's transport) needs the
``websockets`` library; the rest needs nothing beyond the standard library.
"""

from protoo.connection import Connection, Transport
from protoo.frames import (
    Frame,
    FrameError,
    Guard,
    Notification,
    Request,
    Response,
    failure,
    notification,
    parse,
    read,
    request,
    success,
)
from protoo.peer import (
    DEFAULT_TIMEOUT,
    ConnectionLost,
    NoAnswer,
    Peer,
    Refused,
    RequestError,
    RequestHandler,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "Connection",
    "ConnectionLost",
    "Frame",
    "FrameError",
    "Guard",
    "NoAnswer",
    "Notification",
    "Peer",
    "Refused",
    "Request",
    "RequestError",
    "RequestHandler",
    "Response",
    "Transport",
    "failure",
    "notification",
    "parse",
    "read",
    "request",
    "success",
]
