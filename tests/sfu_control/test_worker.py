"""Worker lifecycle against the real binary."""

from __future__ import annotations

import asyncio
import os
import signal

import psutil
import pytest

from sfu_control import (
    InvalidStateError,
    Worker,
    WorkerDiedError,
    WorkerSettings,
    create_worker,
)
from sfu_control.wire import fbs


async def test_spawn_dump_and_resource_usage(worker: Worker) -> None:
    assert worker.pid > 0
    assert not worker.closed
    dump = await worker.dump()
    assert dump["pid"] == worker.pid
    assert dump["routerIds"] == []
    assert dump["webRtcServerIds"] == []
    usage = await worker.get_resource_usage()
    assert usage["ru_maxrss"] > 0
    assert {"ru_utime", "ru_stime", "ru_nvcsw"} <= usage.keys()


async def test_update_settings(worker: Worker) -> None:
    await worker.update_settings(log_level="debug", log_tags=["info", "rtp"])
    assert worker.settings.log_level == "debug"
    await worker.update_settings(log_level="warn")
    assert (await worker.dump())["pid"] == worker.pid


async def test_the_worker_inherits_its_channel_and_nothing_else(
    settings: WorkerSettings, tmp_path: os.PathLike[str]
) -> None:
    """fds 3 and 4 are the channel's pipes; a descriptor of this process left inheritable (a
    library's, say) does not reach the worker. The fds are placed without Python code
    between fork and exec, which could deadlock in a process with threads."""
    leaked = os.open(os.path.join(tmp_path, "held-open"), os.O_CREAT | os.O_RDWR)
    os.set_inheritable(leaked, True)
    try:
        worker = await create_worker(settings)
        try:
            fds = {
                int(fd): os.readlink(f"/proc/{worker.pid}/fd/{fd}")
                for fd in os.listdir(f"/proc/{worker.pid}/fd")
            }
            assert fds[3].startswith("pipe:") and fds[4].startswith("pipe:")
            assert fds[3] != fds[4]
            assert not [fd for fd, target in fds.items() if target.endswith("held-open")]
            assert (await worker.dump())["pid"] == worker.pid
        finally:
            worker.close()
            await worker.wait_closed()
    finally:
        os.close(leaked)


def worker_children() -> set[int]:
    return {
        child.pid
        for child in psutil.Process().children()
        if child.name().startswith("mediasoup-work")
    }


async def test_a_creation_cancelled_while_the_worker_starts_leaves_no_process(
    settings: WorkerSettings,
) -> None:
    """Cancelled once its process runs but before it says so (its pool closing, say)."""
    for _ in range(10):
        before = worker_children()
        creating = asyncio.ensure_future(create_worker(settings))
        async with asyncio.timeout(5):
            while not worker_children() - before:
                await asyncio.sleep(0)
        await asyncio.sleep(0.003)  # its channel open, waiting for WORKER_RUNNING
        if creating.done():  # it started already: not the case under test, try again
            started = creating.result()
            started.close()
            await started.wait_closed()
            continue
        creating.cancel()
        with pytest.raises(asyncio.CancelledError):
            await creating
        async with asyncio.timeout(5):
            while worker_children() - before:
                await asyncio.sleep(0.05)
        return
    pytest.fail("the worker always started before it could be cancelled")


async def test_close_terminates_the_process(settings: WorkerSettings) -> None:
    worker = await create_worker(settings)
    closed: list[bool] = []
    worker.observer.on("close", lambda: closed.append(True))
    router = await worker.create_router()
    worker.close()
    assert worker.closed and not worker.died and router.closed and closed == [True]
    await worker.wait_closed()
    assert worker.exit is not None and worker.exit.pid == worker.pid
    with pytest.raises(InvalidStateError):
        await worker.dump()


async def test_sigkill_emits_died_and_closes_everything(settings: WorkerSettings) -> None:
    worker = await create_worker(settings)
    router = await worker.create_router()
    transport = await router.create_plain_transport(listen_info={"ip": "127.0.0.1"})
    died: asyncio.Future[WorkerDiedError] = asyncio.get_running_loop().create_future()
    worker.on("died", died.set_result)
    os.kill(worker.pid, signal.SIGKILL)
    error = await asyncio.wait_for(died, 5)
    assert error.exit.signal == signal.SIGKILL
    assert worker.died and worker.closed
    assert router.closed and transport.closed
    assert worker.routers == {}
    await worker.wait_closed()


async def test_wrong_settings_raise_type_error(worker_bin: str) -> None:
    with pytest.raises(TypeError, match="wrong settings"):
        await create_worker(
            WorkerSettings(worker_bin=worker_bin, rtc_min_port=5000, rtc_max_port=4000)
        )


async def test_missing_binary_is_a_clear_error(tmp_path: os.PathLike[str]) -> None:
    with pytest.raises(FileNotFoundError, match="mediasoup-worker"):
        await create_worker(WorkerSettings(worker_bin=os.path.join(tmp_path, "nope")))


async def test_unknown_handler_is_a_python_error_and_worker_survives(worker: Worker) -> None:
    from sfu_control import WorkerError

    with pytest.raises(WorkerError):
        await worker.channel.request(fbs.Method.ROUTER_DUMP, "no-such-router")
    with pytest.raises(ValueError, match="unknown method"):
        await worker.channel.request(250)
    assert (await worker.dump())["pid"] == worker.pid
