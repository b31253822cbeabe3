"""Hypercorn as this service runs it: its ``Config``, an access log that costs only the line it
writes, and WebSocket compression only when asked for.

Its listening sockets give each connection a ``TCP_USER_TIMEOUT`` and TCP keepalive
(``ServiceConfig``), so that a client gone without a word does not hold its socket for a
quarter of an hour, or for ever.

Two of hypercorn's defaults are expensive here, and it offers no setting for either:

* its access log builds a dict of every request and response header and of the whole
  process environment (``AccessLogAtoms``) for every request, whatever the format uses:
  10-16% of the CPU of ``GET /healthz``. ``config.logger_class`` is its hook for that; our
  ``AccessLogger`` computes only the atoms the format asks for, with the same values.
* it accepts ``permessage-deflate`` whenever the client offers it (every browser does), and
  the deflate state then costs about 55 KiB per open socket, for frames of a few hundred
  bytes. It decides in ``hypercorn.protocol.ws_stream.Handshake``, from the request's
  headers, before the application sees the connection, so no ASGI middleware can take the
  offer back: ``websocket_compression`` installs a ``Handshake`` that forgets the offer
  (hypercorn's issue #307 asks for a setting).
"""

import logging
import os
import socket
import time
from collections.abc import Iterator, Mapping
from http import HTTPStatus
from typing import Any

from hypercorn.config import Config, Sockets
from hypercorn.logging import Logger
from hypercorn.protocol import ws_stream

from app.config.settings import Settings
from app.ws import frame_limits

# Seconds between the keepalive probes of a silent connection, once they start.
KEEPALIVE_INTERVAL = 5


def hypercorn_config(settings: Settings) -> Config:
    """The ``Config`` of ``hocovisio run``; also applies ``websocket_compression``."""
    config = ServiceConfig(settings.tcp_user_timeout, settings.tcp_keepalive_idle)
    config.bind = [f"{settings.host}:{settings.port}"]
    config.graceful_timeout = settings.shutdown_timeout
    config.websocket_max_message_size = frame_limits.transport_max(settings)
    config.logger_class = AccessLogger
    config.accesslog = logging.getLogger("hypercorn.access") if settings.access_log else None
    config.errorlog = logging.getLogger("hypercorn.error")
    if settings.tls_certfile is not None and settings.tls_keyfile is not None:
        config.certfile, config.keyfile = str(settings.tls_certfile), str(settings.tls_keyfile)
    websocket_compression(settings.websocket_compression)
    return config


class ServiceConfig(Config):
    """hypercorn's ``Config``, whose listening sockets give every connection accepted on them
    a ``TCP_USER_TIMEOUT`` and TCP keepalive (Linux copies both from the listener).

    Without them a client whose network vanished, or that stopped reading, holds its
    connection for as long as the kernel retransmits (about 15 minutes), or for ever if
    nothing is sent: a socket's writer waits on it all that time, its session still counted
    online. With them, what was sent (a keepalive probe of a silent connection included) and
    not acknowledged within the timeout fails the connection, and the socket leaves. The
    kernel probes, so that an idle socket costs no task and no ping of ours.
    """

    def __init__(self, tcp_user_timeout: float, tcp_keepalive_idle: int) -> None:
        super().__init__()
        self.tcp_user_timeout = tcp_user_timeout
        self.tcp_keepalive_idle = tcp_keepalive_idle

    def create_sockets(self) -> Sockets:
        sockets = super().create_sockets()
        for listening in (*sockets.secure_sockets, *sockets.insecure_sockets):
            if self.tcp_user_timeout:
                milliseconds = int(self.tcp_user_timeout * 1000)
                listening.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, milliseconds)
            if self.tcp_keepalive_idle:
                idle = self.tcp_keepalive_idle
                listening.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
                listening.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, idle)
                listening.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, KEEPALIVE_INTERVAL)
        return sockets


class AccessAtoms(Mapping[str, Any]):
    """hypercorn's access-log atoms (``AccessLogAtoms``: ``h``, ``r``, ``s``, ``{name}i``...),
    each computed when the format asks for it; an unknown one is ``-``, as there."""

    def __init__(self, request: Any, response: Any, request_time: float) -> None:
        self._request = request
        self._response = response
        self._time = request_time

    def __getitem__(self, key: str) -> Any:
        if key.startswith("{") and key[-2:-1] == "}":
            value = self._braced(key[1:-2].lower(), key[-1])
            return "-" if value is None else value
        atom = _ATOMS.get(key)
        return "-" if atom is None else atom(self)

    def __iter__(self) -> Iterator[str]:
        return iter(_ATOMS)

    def __len__(self) -> int:
        return len(_ATOMS)

    def _braced(self, name: str, kind: str) -> str | None:
        if kind == "e":
            return next((v for k, v in os.environ.items() if k.lower() == name), None)
        if kind == "i":
            headers = self._request["headers"]
        elif kind == "o" and self._response is not None:
            headers = self._response.get("headers", [])
        else:
            return None
        # The last one wins, as in hypercorn's dict.
        found = None
        for header, value in headers:
            if header.decode("latin1").lower() == name:
                found = value.decode("latin1")
        return found

    def _method(self) -> str:
        return self._request["method"] if self._request["type"] == "http" else "GET"

    def _protocol(self) -> str:
        return self._request.get("http_version", "ws")

    def _query(self) -> str:
        return self._request["query_string"].decode()

    def _path_with_query(self) -> str:
        query = self._query()
        return self._request["path"] + ("?" + query if query else "")

    def _client(self) -> str | None:
        client = self._request.get("client")
        if client is None:
            return None
        if len(client) == 2:
            return f"{client[0]}:{client[1]}"
        if len(client) == 1:
            return client[0]
        return f"<???{client}???>"

    def _status(self) -> str:
        return "-" if self._response is None else str(self._response["status"])

    def _phrase(self) -> str:
        if self._response is None:
            return "-"
        try:
            return HTTPStatus(self._response["status"]).phrase
        except ValueError:
            return f"<???{self._response['status']}???>"


_ATOMS: dict[str, Any] = {
    "h": AccessAtoms._client,
    "l": lambda a: "-",
    "t": lambda a: time.strftime("[%d/%b/%Y:%H:%M:%S %z]"),
    "r": lambda a: f"{a._method()} {a._request['path']} {a._protocol()}",
    "R": lambda a: f"{a._method()} {a._path_with_query()} {a._protocol()}",
    "s": AccessAtoms._status,
    "st": AccessAtoms._phrase,
    "S": lambda a: a._request["scheme"],
    "m": AccessAtoms._method,
    "U": lambda a: a._request["path"],
    "Uq": AccessAtoms._path_with_query,
    "q": AccessAtoms._query,
    "H": AccessAtoms._protocol,
    "b": lambda a: a["{Content-Length}o"],
    "B": lambda a: a["{Content-Length}o"],
    "f": lambda a: a["{Referer}i"],
    "a": lambda a: a["{User-Agent}i"],
    "T": lambda a: int(a._time),
    "D": lambda a: int(a._time * 1_000_000),
    "L": lambda a: f"{a._time:.6f}",
    "p": lambda a: f"<{os.getpid()}>",
}


class AccessLogger(Logger):
    """hypercorn's ``Logger`` with lazily computed access-log atoms."""

    def atoms(self, request: Any, response: Any, request_time: float) -> Mapping[str, Any]:
        return AccessAtoms(request, response, request_time)


class _HandshakeWithoutCompression(ws_stream.Handshake):
    """hypercorn's handshake, blind to the client's ``permessage-deflate`` offers (the only
    extension it knows): the socket is accepted without any extension."""

    def __init__(self, headers: list[tuple[bytes, bytes]], http_version: str) -> None:
        super().__init__(headers, http_version)
        if self.extensions is not None:
            self.extensions = [
                offer
                for offer in self.extensions
                if offer.split(";", 1)[0].strip().lower() != "permessage-deflate"
            ]


_HYPERCORN_HANDSHAKE = ws_stream.Handshake


def websocket_compression(enabled: bool) -> None:
    """Let hypercorn accept ``permessage-deflate`` (its default) or not, for this process."""
    ws_stream.Handshake = _HYPERCORN_HANDSHAKE if enabled else _HandshakeWithoutCompression  # type: ignore[misc]
