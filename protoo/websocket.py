"""A participant's WebSocket to the server, with the ``websockets`` library (in the ``station``
and ``test`` extras, not in the server's dependencies): the transport of a ``Connection``."""

from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as open_websocket

from protoo.peer import DEFAULT_TIMEOUT


async def connect(
    url: str, credential: str, *, timeout: float = DEFAULT_TIMEOUT, **options: Any
) -> ClientConnection:
    """Open ``url`` as the participant of ``credential``; ``options`` go to ``websockets``."""
    return await open_websocket(
        url,
        additional_headers={"Authorization": f"Bearer {credential}"},
        subprotocols=["protoo"],  # type: ignore[list-item]
        open_timeout=timeout,
        **options,
    )
