"""WorkerPool: placement and respawn of a SIGKILLed worker."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any

import pytest

from sfu_control import Worker, WorkerSettings
from sfu_control.pool import WorkerPool

from .conftest import MEDIA_CODECS


async def test_least_loaded_placement_and_respawn(settings: WorkerSettings) -> None:
    ready: list[int] = []

    async def on_ready(index: int, worker: Worker) -> None:
        ready.append(index)

    pool = WorkerPool(size=2, settings=settings, on_worker_ready=on_ready, respawn_delay=0.05)
    await pool.start()
    try:
        assert sorted(ready) == [0, 1]
        assert len(pool.workers) == 2
        routers = [await pool.pick().create_router(MEDIA_CODECS) for _ in range(4)]
        assert sorted(len(w.routers) for w in pool.workers) == [2, 2]
        assert pool.stats().routers == 4

        victim = routers[0].worker
        lost = set(victim.routers)
        loop = asyncio.get_running_loop()
        died: asyncio.Future[tuple[Any, ...]] = loop.create_future()
        respawned: asyncio.Future[tuple[Any, ...]] = loop.create_future()
        pool.on("died", lambda *args: died.set_result(args))
        pool.on("respawned", lambda *args: respawned.set_result(args))

        os.kill(victim.pid, signal.SIGKILL)
        worker, error = await asyncio.wait_for(died, 5)
        assert worker is victim and error.exit.signal == signal.SIGKILL
        assert all(router.closed for router in routers if router.id in lost)
        index, new_worker = await asyncio.wait_for(respawned, 5)
        assert new_worker is not victim and not new_worker.closed
        assert new_worker.app_data["index"] == index == victim.app_data["index"]
        assert sorted(ready) == [0, 0, 1] or sorted(ready) == [0, 1, 1]
        stats = pool.stats()
        assert stats.respawns == 1 and stats.live_workers == 2 and stats.routers == 2
        # The fresh, empty worker gets the next router.
        assert pool.pick() is new_worker
        assert (await new_worker.dump())["pid"] == new_worker.pid
    finally:
        await pool.close()
    assert pool.workers == []


async def kill_every_worker(pool: WorkerPool) -> list[Worker]:
    victims = pool.workers
    dead = [asyncio.get_running_loop().create_future() for _ in victims]
    for victim, future in zip(victims, dead, strict=True):
        victim.on("died", future.set_result)
        os.kill(victim.pid, signal.SIGKILL)
    await asyncio.wait_for(asyncio.gather(*dead), 5)
    return victims


async def test_a_pick_waits_out_the_respawn_of_every_worker(settings: WorkerSettings) -> None:
    pool = WorkerPool(size=2, settings=settings, respawn_delay=0.3)
    await pool.start()
    try:
        victims = await kill_every_worker(pool)
        with pytest.raises(RuntimeError, match="no mediasoup worker"):
            pool.pick()

        worker = await pool.pick_when_ready(timeout=5)
        assert worker not in victims and not worker.closed
        assert (await worker.create_router(MEDIA_CODECS)).worker is worker
    finally:
        await pool.close()


async def test_a_pick_gives_up_after_its_timeout(settings: WorkerSettings) -> None:
    pool = WorkerPool(size=1, settings=settings, respawn_delay=30)
    await pool.start()
    try:
        await kill_every_worker(pool)
        with pytest.raises(TimeoutError):
            await pool.pick_when_ready(timeout=0.2)
    finally:
        await pool.close()
    with pytest.raises(RuntimeError, match="no mediasoup worker"):
        await pool.pick_when_ready(timeout=0.2)


async def test_a_worker_whose_ready_hook_fails_is_not_left_running(
    settings: WorkerSettings,
) -> None:
    spawned: list[Worker] = []

    async def refuse(index: int, worker: Worker) -> None:
        spawned.append(worker)
        raise OSError("port in use")

    pool = WorkerPool(size=1, settings=settings, on_worker_ready=refuse)
    with pytest.raises(OSError, match="port in use"):
        await pool.start()
    await pool.close()
    (worker,) = spawned
    assert worker.closed
    with pytest.raises(ProcessLookupError):
        os.kill(worker.pid, 0)
