"""Objects the worker makes for a request whose caller may be cancelled meanwhile.

A socket that closes cancels its requests in flight. Cancelling the wait for the worker's
answer does not stop the worker: it makes the router or transport all the same, and nobody
would ever close it (a client that drops its connection right after asking could pile them
up in the worker, past the limits, until the room closes). So the worker's answer is awaited
apart, and what it made for a cancelled caller is closed as soon as it is made.
"""

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


async def made(making: Coroutine[Any, Any, T], close: Callable[[T], object]) -> T:
    """The result of ``making``; if the caller is cancelled meanwhile, ``close`` it once
    made."""
    task = asyncio.ensure_future(making)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:

        def close_when_made(done: asyncio.Future[T]) -> None:
            if not done.cancelled() and done.exception() is None:
                close(done.result())

        task.add_done_callback(close_when_made)
        raise
