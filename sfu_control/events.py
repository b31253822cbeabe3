"""A minimal, typed event emitter (the Node library's EnhancedEventEmitter).

Listeners are plain callables. A listener returning an awaitable is scheduled
as a task on the running loop so async handlers work too. A failing listener
is logged and never breaks the emitter (Node's ``safeEmit`` semantics).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("sfu_control")

Listener = Callable[..., Any]


class EventEmitter:
    """``on`` / ``once`` / ``off`` / ``emit`` over string event names."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[tuple[Listener, bool]]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def on(self, event: str, listener: Listener) -> Listener:
        """Register ``listener``; returns it so it can be used as a decorator."""
        self._listeners.setdefault(event, []).append((listener, False))
        return listener

    def once(self, event: str, listener: Listener) -> Listener:
        self._listeners.setdefault(event, []).append((listener, True))
        return listener

    def off(self, event: str, listener: Listener) -> None:
        entries = self._listeners.get(event, [])
        self._listeners[event] = [e for e in entries if e[0] is not listener]
        if not self._listeners[event]:
            del self._listeners[event]

    def remove_all_listeners(self, event: str | None = None) -> None:
        if event is None:
            self._listeners.clear()
        else:
            self._listeners.pop(event, None)

    def emit(self, event: str, *args: Any) -> bool:
        """Call the listeners of ``event``; returns whether there were any."""
        entries = self._listeners.get(event)
        if not entries:
            return False
        remaining = [e for e in entries if not e[1]]
        if remaining:
            self._listeners[event] = remaining
        else:
            del self._listeners[event]
        for listener, _ in entries:
            try:
                result = listener(*args)
                if inspect.isawaitable(result):
                    task = asyncio.ensure_future(result)
                    self._tasks.add(task)
                    task.add_done_callback(self._task_done)
            except Exception:
                logger.exception("event listener for %r failed", event)
        return True

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("async event listener failed", exc_info=task.exception())
