"""Client requests on the socket: which handler serves which method.

The socket endpoint builds its ``Dispatcher`` from tables its handler modules list
explicitly (``HANDLERS``): what a socket answers can be read in one place, and no handler
exists by the side effect of an import.
"""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from app.errors import Refused
from app.realtime.peer import Peer

Handler = Callable[[Peer, dict[str, Any]], Awaitable[Any]]
# An unknown method is quoted this far: a client may send a megabyte of name.
QUOTED_METHOD = 64


def unknown_method(method: str) -> Refused:
    shown = method if len(method) <= QUOTED_METHOD else method[:QUOTED_METHOD] + "…"
    return Refused(404, f"unknown method {shown!r}")


class Dispatcher:
    def __init__(self, *tables: Mapping[str, Handler]) -> None:
        self._handlers: dict[str, Handler] = {}
        for table in tables:
            for name, handler in table.items():
                if name in self._handlers:
                    raise ValueError(f"request method {name!r} listed twice")
                self._handlers[name] = handler

    def methods(self) -> list[str]:
        """The methods served, in the order they were listed."""
        return list(self._handlers)

    async def dispatch(self, peer: Peer, method: str, data: dict[str, Any]) -> Any:
        """Serve one request; ``Refused`` for a method nobody serves."""
        handler = self._handlers.get(method)
        if handler is None:
            raise unknown_method(method)
        return await handler(peer, data)
