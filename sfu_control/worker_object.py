"""What producers, consumers, data producers/consumers and RTP observers share.

Each lives in the worker under its ``id`` and ends in one of two ways: closed by its owner
(the worker is asked to close it), or because its parent closed (the worker already has).
Both do the same bookkeeping once, whichever comes first.
"""

from __future__ import annotations

from typing import Any

from .events import EventEmitter, EventT
from .wire.channel import Channel


class WorkerObject(EventEmitter[EventT]):
    id: str
    observer: EventEmitter[Any]
    _channel: Channel
    _closed: bool

    @property
    def closed(self) -> bool:
        return self._closed

    def _mark_closed(self) -> bool:
        """Close once: False when already closed."""
        if self._closed:
            return False
        self._closed = True
        self._channel.remove_all_listeners(self.id)
        return True

    def _close_in_worker(self, method: int, handler_id: str, body_type: int, body: Any) -> None:
        """Closed by its owner: ask the worker to close it too."""
        if self._mark_closed():
            self._channel.request_nowait(method, handler_id, body_type, body)
            self.emit("@close")  # type: ignore[arg-type]
            self.observer.emit("close")

    def _parent_closed(self, event: EventT) -> None:
        """Closed with its parent (transport or router), which the worker has closed already."""
        if self._mark_closed():
            self.emit(event)
            self.observer.emit("close")
