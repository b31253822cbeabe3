"""A media request cancelled while the worker makes its object (its socket closed): the
worker makes it all the same, and ``made`` closes it once made, where a plain await would
leave it in the worker for the router's life. Against the real worker."""

import asyncio
import os
from collections.abc import AsyncIterator

import pytest

from app.media.made import made
from sfu_control import Router, WebRtcTransport, WorkerSettings, create_worker

LISTEN = {"ip": "127.0.0.1"}


@pytest.fixture
async def router() -> AsyncIterator[Router]:
    settings = WorkerSettings(worker_bin=os.environ["MEDIASOUP_WORKER_BIN"])
    worker = await create_worker(settings)
    yield await worker.create_router([{"kind": "audio", "mimeType": "audio/opus",
                                       "clockRate": 48000, "channels": 2}])  # fmt: skip
    worker.close()
    await worker.wait_closed()


async def transports_in_the_worker(router: Router) -> list[str]:
    return (await router.dump())["transportIds"]


async def cancelled_at_once(router: Router, plainly: bool) -> None:
    making = router.create_webrtc_transport(listen_infos=[LISTEN])
    waiting = asyncio.ensure_future(making if plainly else made(making, WebRtcTransport.close))
    await asyncio.sleep(0)  # the request is sent
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await asyncio.sleep(0.5)  # the worker answers meanwhile


async def test_what_is_made_for_a_cancelled_request_is_closed(router: Router) -> None:
    await cancelled_at_once(router, plainly=True)
    assert len(await transports_in_the_worker(router)) == 1  # what a plain await leaves
    await cancelled_at_once(router, plainly=False)
    assert len(await transports_in_the_worker(router)) == 1  # and nothing more
    assert router.transports == {}
