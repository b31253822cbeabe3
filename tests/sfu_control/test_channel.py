"""The channel to the real worker: bursts, answers matched to requests, timeouts."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from sfu_control import Router, Worker, WorkerTimeoutError
from sfu_control.wire.fbs import Method


async def test_a_burst_gets_each_request_its_own_answer(router: Router) -> None:
    """Hundreds of requests written in one loop turn (one coalesced write) all come back
    to the request that asked, whichever transport it was for."""
    transports = [
        await router.create_webrtc_transport(listen_infos=[{"ip": "127.0.0.1"}]) for _ in range(3)
    ]
    asked = [transports[i % 3] for i in range(600)]
    answers = await asyncio.gather(*(transport.get_stats() for transport in asked))
    assert [stats[0]["transportId"] for stats in answers] == [t.id for t in asked]
    created = await asyncio.gather(
        *(router.create_webrtc_transport(listen_infos=[{"ip": "127.0.0.1"}]) for _ in range(50))
    )
    assert len({t.id for t in created}) == 50
    assert len((await router.dump())["transportIds"]) == 53


async def test_an_unanswered_request_times_out_and_the_channel_recovers(worker: Worker) -> None:
    os.kill(worker.pid, signal.SIGSTOP)
    try:
        with pytest.raises(WorkerTimeoutError, match="WORKER_DUMP"):
            # The outer bound turns a missing timeout into a failure, not a hang.
            await asyncio.wait_for(worker.channel.request(Method.WORKER_DUMP, timeout=0.3), 10)
    finally:
        os.kill(worker.pid, signal.SIGCONT)
    # The late answer to the timed-out request is dropped; new requests are answered.
    assert (await worker.dump())["pid"] == worker.pid
    assert (await worker.dump())["pid"] == worker.pid
