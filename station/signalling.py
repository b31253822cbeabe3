"""The station's participant socket: protoo requests to the server, notifications from it."""

import logging

from websockets.exceptions import ConnectionClosedError

from protoo import Connection, Notification
from protoo.websocket import connect

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = 15.0


async def open_socket(ws_url: str, credential: str) -> Connection:
    """The consultation's socket. A station only sends media: it has no receiving transport,
    so it gets no ``newConsumer``, and refuses any server request (no handler)."""
    transport = await connect(ws_url, credential, timeout=REQUEST_TIMEOUT)
    return Connection(transport, timeout=REQUEST_TIMEOUT, on_notification=_notified)


async def closed(socket: Connection) -> None:
    """Wait until the server closes the socket (the consultation ended, or it stopped)."""
    try:
        await socket.closed()
    except ConnectionClosedError as closing:
        # The server ends a consultation's sockets with its own code (4000); only a
        # connection that broke without a close frame is an error.
        if closing.rcvd is None:
            raise
        log.info("the server closed the socket (%s)", closing.rcvd.code)


def _notified(notification: Notification) -> None:
    log.debug("notification %s", notification.method)
