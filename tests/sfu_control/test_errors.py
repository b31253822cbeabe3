"""Invalid calls become Python exceptions; the worker keeps running."""

from __future__ import annotations

import copy

import pytest

from sfu_control import Router, UnsupportedError, Worker, WorkerError

from .test_media import OPUS_PARAMETERS


async def test_worker_rejection_becomes_an_exception(worker: Worker, router: Router) -> None:
    first = await router.create_plain_transport(listen_info={"ip": "127.0.0.1"}, comedia=True)
    second = await router.create_plain_transport(listen_info={"ip": "127.0.0.1"}, comedia=True)
    producer = await first.produce("audio", OPUS_PARAMETERS)
    # Same producer id in the same router: only the worker can tell.
    with pytest.raises(WorkerError):
        await second.produce("audio", OPUS_PARAMETERS, id=producer.id)
    # Same SSRC twice on one transport: the worker's RTP listener rejects it.
    duplicated = copy.deepcopy(OPUS_PARAMETERS)
    duplicated["mid"] = "1"
    with pytest.raises(WorkerError, match="ssrc"):
        await first.produce("audio", duplicated)
    assert set(first.producers) == {producer.id} and second.producers == {}
    assert set(router.producers) == {producer.id}
    assert (await worker.dump())["routerIds"] == [router.id]


async def test_invalid_parameters_are_rejected_before_the_worker(router: Router) -> None:
    transport = await router.create_plain_transport(listen_info={"ip": "127.0.0.1"})
    with pytest.raises(TypeError):
        await transport.produce("audio", {"codecs": [{"mimeType": "audio/opus"}]})
    with pytest.raises(TypeError):
        await transport.produce("text", OPUS_PARAMETERS)
    h264 = copy.deepcopy(OPUS_PARAMETERS)
    h264["codecs"][0].update(mimeType="video/H264", clockRate=90000)
    with pytest.raises(UnsupportedError):
        await transport.produce("video", h264)
    with pytest.raises(KeyError):
        await transport.consume("no-such-producer", router.rtp_capabilities)
    producer = await transport.produce("audio", OPUS_PARAMETERS)
    with pytest.raises(UnsupportedError):
        await transport.consume(producer.id, {"codecs": [], "headerExtensions": []})
    assert not router.can_consume(producer.id, {"codecs": []})
    assert router.can_consume(producer.id, router.rtp_capabilities)
