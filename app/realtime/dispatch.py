"""Client requests on the socket: a table of handlers by method name."""

from collections.abc import Awaitable, Callable
from typing import Any

from app.ratelimit import RateLimited, check_socket_request
from app.ws.peer import Peer

Handler = Callable[[Peer, dict[str, Any]], Awaitable[Any]]


class RequestError(Exception):
    """A request refused with a reason the client can show."""


class RequestRouter:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def method(self, name: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            if name in self._handlers:
                raise ValueError(f"request method {name!r} registered twice")
            self._handlers[name] = handler
            return handler

        return register

    async def dispatch(self, peer: Peer, method: str, data: dict[str, Any]) -> Any:
        """Serve one request. Every request counts against the socket's limit, a pending
        socket's and unknown methods too: otherwise they are answered as fast as a client
        can send them."""
        try:
            check_socket_request(peer)
        except RateLimited:
            raise RequestError("rate limited") from None
        if peer.pending:
            raise RequestError("waiting for the doctor's validation")
        handler = self._handlers.get(method)
        if handler is None:
            raise RequestError(f"unknown method {method!r}")
        return await handler(peer, data)


requests = RequestRouter()
