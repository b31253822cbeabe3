"""A pool of workers: one per CPU core by default, respawned when one dies.

Each slot of the pool keeps its index across respawns, so that per-worker resources (for
instance a WebRtcServer on ``base port + index``) can be recreated by the
``on_worker_ready`` hook on the same terms.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Literal

from .events import EventEmitter, event_names
from .worker import Worker, WorkerDiedError, WorkerSettings

logger = logging.getLogger("sfu_control.pool")

WorkerReadyHook = Callable[[int, Worker], Awaitable[None]]


@dataclass(frozen=True)
class PoolStats:
    """Snapshot of the pool, for monitoring."""

    size: int
    live_workers: int
    routers: int
    respawns: int
    failed_respawns: int


WorkerPoolEvent = Literal["died", "respawned"]


class WorkerPool(EventEmitter[WorkerPoolEvent]):
    """Events: ``died`` (worker, WorkerDiedError), ``respawned`` (index, worker)."""

    EVENTS = event_names(WorkerPoolEvent)

    def __init__(
        self,
        size: int | None = None,
        settings: WorkerSettings | None = None,
        on_worker_ready: WorkerReadyHook | None = None,
        respawn_delay: float = 0.2,
    ) -> None:
        super().__init__()
        self.size = size or os.cpu_count() or 1
        self._settings = settings or WorkerSettings()
        self._on_worker_ready = on_worker_ready
        self._respawn_delay = respawn_delay
        self._slots: list[Worker | None] = [None] * self.size
        self._closed = False
        self.respawns = 0
        self.failed_respawns = 0
        self._respawning: set[asyncio.Task[None]] = set()
        # Set whenever a slot gets a worker, so that a caller can wait out a respawn.
        self._worker_added = asyncio.Event()

    @property
    def workers(self) -> list[Worker]:
        return [w for w in self._slots if w is not None and not w.closed]

    async def start(self) -> None:
        await asyncio.gather(*(self._spawn(index) for index in range(self.size)))

    async def _spawn(self, index: int) -> None:
        worker = await Worker.create(replace(self._settings), app_data={"index": index})
        if self._on_worker_ready is not None:
            try:
                await self._on_worker_ready(index, worker)
            except BaseException:
                # Not in the pool: nobody else would ever close it (a respawn retrying every
                # few tenths of a second would pile up processes).
                worker.close()
                await worker.wait_closed()
                raise
        worker.on("died", lambda error: self._worker_died(index, worker, error))
        self._slots[index] = worker
        self._worker_added.set()

    def pick(self) -> Worker:
        """The live worker with the fewest routers."""
        workers = self.workers
        if not workers:
            raise RuntimeError("no mediasoup worker is running")
        return min(workers, key=lambda worker: len(worker.routers))

    async def pick_when_ready(self, timeout: float) -> Worker:
        """The live worker with the fewest routers; when every worker is dead, wait up to
        ``timeout`` seconds for one to be respawned (and made ready) rather than fail a
        caller who reacts to a worker's death by asking again at once."""
        async with asyncio.timeout(timeout):
            while not self.workers:
                if self._closed:
                    break
                self._worker_added.clear()
                await self._worker_added.wait()
        return self.pick()

    def _worker_died(self, index: int, worker: Worker, error: WorkerDiedError) -> None:
        logger.error("worker %d died: %s", index, error)
        self._slots[index] = None
        self.emit("died", worker, error)
        if not self._closed:
            task = asyncio.get_running_loop().create_task(self._respawn(index))
            self._respawning.add(task)
            task.add_done_callback(self._respawning.discard)

    async def _respawn(self, index: int) -> None:
        while not self._closed:
            await asyncio.sleep(self._respawn_delay)
            try:
                await self._spawn(index)
            except Exception:
                logger.exception("respawning worker %d failed; trying again", index)
                self.failed_respawns += 1
                continue
            self.respawns += 1
            self.emit("respawned", index, self._slots[index])
            return

    def stats(self) -> PoolStats:
        workers = self.workers
        return PoolStats(
            size=self.size,
            live_workers=len(workers),
            routers=sum(len(worker.routers) for worker in workers),
            respawns=self.respawns,
            failed_respawns=self.failed_respawns,
        )

    async def close(self) -> None:
        self._closed = True
        for task in list(self._respawning):
            task.cancel()
        for worker in self.workers:
            worker.close()
        for slot in list(self._slots):
            if slot is not None:
                await slot.wait_closed()
        self._slots = [None] * self.size
