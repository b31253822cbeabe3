"""Invalid calls become Python exceptions; the worker keeps running."""

from __future__ import annotations

import copy

import pytest

from sfu_control import (
    CodecError,
    NotFoundError,
    ParameterError,
    Router,
    UnknownEventError,
    UnsupportedError,
    Worker,
    WorkerError,
)

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


async def test_value_out_of_its_wire_range_is_refused_and_the_channel_goes_on(
    worker: Worker, router: Router
) -> None:
    """An SSRC beyond uint32 passes ortc's "is a number" check; the codec refuses it."""
    transport = await router.create_plain_transport(listen_info={"ip": "127.0.0.1"})
    too_big = copy.deepcopy(OPUS_PARAMETERS)
    too_big["encodings"] = [{"ssrc": 2**32}]
    with pytest.raises(CodecError, match="RtpEncodingParameters"):
        await transport.produce("audio", too_big)
    assert transport.producers == {}
    producer = await transport.produce("audio", OPUS_PARAMETERS)
    assert (await producer.dump())["id"] == producer.id
    assert (await worker.dump())["routerIds"] == [router.id]


async def test_bad_input_is_a_parameter_error(router: Router) -> None:
    """The caller's mistakes are sfu_control's own errors, which an application may forward."""
    transport = await router.create_webrtc_transport(listen_infos=[{"ip": "127.0.0.1"}])
    with pytest.raises(ParameterError, match="invalid kind"):
        await transport.produce("text", OPUS_PARAMETERS)
    with pytest.raises(NotFoundError, match='Producer with id "nope" not found') as raised:
        await transport.consume("nope", router.rtp_capabilities)
    assert str(raised.value) == 'Producer with id "nope" not found'
    with pytest.raises(ParameterError, match="fingerprints"):
        await transport.connect(dtls_parameters={"role": "client"})
    with pytest.raises(ParameterError, match="FingerprintAlgorithm"):
        await transport.connect(
            dtls_parameters={"fingerprints": [{"algorithm": "md5", "value": "00"}]}
        )


async def test_an_unknown_event_name_fails_at_once(router: Router) -> None:
    transport = await router.create_plain_transport(listen_info={"ip": "127.0.0.1"})
    producer = await transport.produce("audio", OPUS_PARAMETERS)
    consumer = await transport.consume(producer.id, router.rtp_capabilities)
    consumer.on("producerpause", lambda: None)
    with pytest.raises(UnknownEventError, match="producerPause"):
        consumer.on("producerPause", lambda: None)  # type: ignore[arg-type]
    with pytest.raises(UnknownEventError):
        consumer.observer.on("producerpause", lambda: None)
    with pytest.raises(UnknownEventError):
        producer.emit("paused")  # type: ignore[arg-type]
