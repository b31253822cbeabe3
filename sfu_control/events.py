"""A minimal, typed event emitter (the Node library's EnhancedEventEmitter).

Each emitter declares its events: a ``Literal`` type alias (for type checkers, as
the emitter's type parameter) and the same names at run time (``EVENTS``, or the
``events`` given to a plain ``EventEmitter``, such as an object's ``observer``).
``on()``, ``once()``, ``off()`` and ``emit()`` of a name not declared raise
``UnknownEventError`` at once: a typo (``"producerPause"``) fails loudly instead
of registering a listener nothing ever calls. Names starting with ``@`` are the
library's internal events, as in the Node library.

Listeners are plain callables. A listener returning an awaitable is scheduled
as a task on the running loop so async handlers work too. A failing listener
is logged and never breaks the emitter (Node's ``safeEmit`` semantics).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar, get_args

from .errors import UnknownEventError

logger = logging.getLogger("sfu_control")

Listener = Callable[..., Any]
EventT = TypeVar("EventT", bound=str)


def event_names(events: Any) -> frozenset[str]:
    """The names of a ``Literal[...]`` event type (nested ``Literal``s are flattened)."""
    return frozenset(get_args(events))


class EventEmitter(Generic[EventT]):
    """``on`` / ``once`` / ``off`` / ``emit`` over the declared event names."""

    EVENTS: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, events: frozenset[str] | None = None) -> None:
        self._events = self.EVENTS if events is None else events
        self._listeners: dict[str, list[tuple[Listener, bool]]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def _check(self, event: str) -> None:
        if event not in self._events:
            raise UnknownEventError(
                f"{type(self).__name__} has no event {event!r} (its events: "
                f"{', '.join(sorted(self._events))})"
            )

    def on(self, event: EventT, listener: Listener) -> Listener:
        """Register ``listener``; returns it so it can be used as a decorator."""
        self._check(event)
        self._listeners.setdefault(event, []).append((listener, False))
        return listener

    def once(self, event: EventT, listener: Listener) -> Listener:
        self._check(event)
        self._listeners.setdefault(event, []).append((listener, True))
        return listener

    def off(self, event: EventT, listener: Listener) -> None:
        self._check(event)
        entries = self._listeners.get(event, [])
        self._listeners[event] = [e for e in entries if e[0] is not listener]
        if not self._listeners[event]:
            del self._listeners[event]

    def remove_all_listeners(self, event: EventT | None = None) -> None:
        if event is None:
            self._listeners.clear()
        else:
            self._check(event)
            self._listeners.pop(event, None)

    def emit(self, event: EventT, *args: Any) -> bool:
        """Call the listeners of ``event``; returns whether there were any."""
        entries = self._listeners.get(event)
        if not entries:
            if event not in self._events:
                self._check(event)
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
