"""PipeTransports between two workers, DirectTransport RTP and data, the audio-level observer.

None of these is used by the service; they are tested as parts of the library."""

from __future__ import annotations

import asyncio
import struct
from typing import Any

from sfu_control import Router, WorkerSettings, create_worker

from .conftest import MEDIA_CODECS
from .helpers import parse_rtp, rtp_packet, wait_until
from .test_media import OPUS_PARAMETERS, OPUS_PT, OPUS_SSRC


async def test_direct_producer_to_direct_consumer(router: Router) -> None:
    direct = await router.create_direct_transport()
    producer = await direct.produce("audio", OPUS_PARAMETERS)
    consumer = await direct.consume(producer.id, router.rtp_capabilities)
    received: list[bytes] = []
    consumer.on("rtp", received.append)
    for seq in range(1, 21):
        producer.send(rtp_packet(OPUS_PT, seq, seq * 960, OPUS_SSRC, b"\xfc" + b"\x00" * 20))
    await wait_until(lambda: len(received) == 20)
    ssrc = consumer.rtp_parameters["encodings"][0]["ssrc"]
    assert {parse_rtp(p)["ssrc"] for p in received} == {ssrc}
    assert (await producer.get_stats())[0]["packetCount"] == 20


async def test_pipe_to_router_on_another_worker(router: Router, settings: WorkerSettings) -> None:
    other_worker = await create_worker(settings)
    try:
        other_router = await other_worker.create_router(MEDIA_CODECS)
        direct = await router.create_direct_transport()
        producer = await direct.produce("audio", OPUS_PARAMETERS)
        pipe_consumer, pipe_producer = await router.pipe_to_router(producer.id, other_router)
        assert pipe_consumer.type == "pipe" and pipe_producer.id == producer.id
        assert set(other_router.producers) == {producer.id}

        remote_direct = await other_router.create_direct_transport()
        consumer = await remote_direct.consume(producer.id, other_router.rtp_capabilities)
        received: list[bytes] = []
        consumer.on("rtp", received.append)
        for seq in range(1, 51):
            producer.send(rtp_packet(OPUS_PT, seq, seq * 960, OPUS_SSRC, b"\xfc" + b"\x00" * 20))
            await asyncio.sleep(0.001)
        await wait_until(lambda: len(received) >= 45)

        # Closing the original producer closes the piped one on the other worker.
        producer.close()
        await wait_until(lambda: pipe_producer.closed and consumer.closed)
        assert other_router.producers == {}
    finally:
        other_worker.close()
        await other_worker.wait_closed()


async def test_direct_data_producer_to_data_consumer(router: Router) -> None:
    direct = await router.create_direct_transport()
    data_producer = await direct.produce_data(label="chat", protocol="json")
    assert data_producer.type == "direct" and data_producer.label == "chat"
    data_consumer = await direct.consume_data(data_producer.id)
    assert data_consumer.label == "chat" and data_consumer.protocol == "json"
    messages: list[tuple[bytes, int]] = []
    data_consumer.on("message", lambda data, ppid: messages.append((data, ppid)))
    data_producer.send("hello")
    data_producer.send(b"\x01\x02")
    await wait_until(lambda: len(messages) == 2)
    assert messages == [(b"hello", 51), (b"\x01\x02", 53)]
    assert (await data_producer.get_stats())[0]["messagesReceived"] == 2
    dump = await router.dump()
    assert dump["mapDataProducerIdDataConsumerIds"] == {data_producer.id: [data_consumer.id]}
    data_producer.close()
    await wait_until(lambda: data_consumer.closed)
    assert direct.data_consumers == {} and direct.data_producers == {}


async def test_audio_level_observer_reports_volumes_then_silence(router: Router) -> None:
    """RTP with the ssrc-audio-level extension (RFC 6464) through the observer."""
    parameters = {
        **OPUS_PARAMETERS,
        "headerExtensions": [{"uri": "urn:ietf:params:rtp-hdrext:ssrc-audio-level", "id": 1}],
    }
    direct = await router.create_direct_transport()
    producer = await direct.produce("audio", parameters)
    observer = await router.create_audio_level_observer(interval=100)
    await observer.add_producer(producer.id)
    volumes: list[list[dict[str, Any]]] = []
    silences: list[None] = []
    observer.on("volumes", volumes.append)
    observer.on("silence", lambda: silences.append(None))
    level = 0x80 | 10  # voice activity, -10 dBov
    extension = struct.pack("!HHBBxx", 0xBEDE, 1, 1 << 4, level)
    for seq in range(1, 31):
        packet = bytearray(rtp_packet(OPUS_PT, seq, seq * 960, OPUS_SSRC, b"\xfc" + bytes(20)))
        packet[0] |= 0x10  # the X bit: a header extension follows the fixed header
        producer.send(bytes(packet[:12]) + extension + bytes(packet[12:]))
        await asyncio.sleep(0.01)
    await wait_until(lambda: volumes != [])
    assert volumes[0][0]["producer"] is producer and volumes[0][0]["volume"] == -10
    await wait_until(lambda: silences != [])


async def test_a_cancelled_pipe_leaves_the_next_one_free(
    router: Router, settings: WorkerSettings
) -> None:
    other_worker = await create_worker(settings)
    try:
        other_router = await other_worker.create_router(MEDIA_CODECS)
        direct = await router.create_direct_transport()
        producer = await direct.produce("audio", OPUS_PARAMETERS)
        first = asyncio.ensure_future(router.pipe_to_router(producer.id, other_router))
        await asyncio.sleep(0)  # its pipe transports asked for
        first.cancel()
        await asyncio.gather(first, return_exceptions=True)
        async with asyncio.timeout(5):  # not waiting on the cancelled call's pair
            _, pipe_producer = await router.pipe_to_router(producer.id, other_router)
        assert pipe_producer.id == producer.id
    finally:
        other_worker.close()
        await other_worker.wait_closed()
