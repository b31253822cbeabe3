"""Graceful shutdown on SIGTERM or SIGINT: tell the participants before going away.

Hypercorn stops accepting connections when this trigger returns, gives the open ones
``shutdown_timeout`` seconds to finish, then ends the lifespan (``app.runtime.lifespan``:
monitor stopped, workers closed, database engine disposed). Every socket first gets
``serverShutdown`` ``{reconnect: true}`` and is closed, so clients reconnect to the next
instance: the consultations themselves live in the database and survive the restart.
"""

import asyncio
import logging
import signal

from app.runtime.state import AppState
from app.services import announcements

log = logging.getLogger(__name__)


async def on_signal(hocovisio: AppState) -> None:
    """Return at the first SIGTERM or SIGINT, once the participants have been told."""
    received = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, received.set)
    await received.wait()
    told = announcements.server_stopping(hocovisio.broker)
    log.info("shutting down; told the sockets of %d consultations", told)
