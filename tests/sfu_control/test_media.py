"""Real RTP through the worker: UDP socket -> PlainTransport producer -> consumer -> UDP."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from sfu_control import Consumer, PlainTransport, Producer, Router, Worker

from .helpers import media_packets, parse_rtp, receive_for, rtp_packet, udp_socket, wait_until

OPUS_PT = 111
OPUS_SSRC = 11111111
VP8_PT = 96
VP8_SSRC = 22222222

OPUS_PARAMETERS: dict[str, Any] = {
    "mid": "0",
    "codecs": [
        {
            "mimeType": "audio/opus",
            "payloadType": OPUS_PT,
            "clockRate": 48000,
            "channels": 2,
            "parameters": {"useinbandfec": 1},
            "rtcpFeedback": [],
        }
    ],
    "headerExtensions": [],
    "encodings": [{"ssrc": OPUS_SSRC}],
    "rtcp": {"cname": "test-cname", "reducedSize": True},
}

VP8_PARAMETERS: dict[str, Any] = {
    "codecs": [
        {
            "mimeType": "video/VP8",
            "payloadType": VP8_PT,
            "clockRate": 90000,
            "rtcpFeedback": [{"type": "nack"}, {"type": "nack", "parameter": "pli"}],
        }
    ],
    "encodings": [{"ssrc": VP8_SSRC}],
    "rtcp": {"cname": "test-cname"},
}


@dataclass
class Pipeline:
    sender: socket.socket
    receiver: socket.socket
    send_transport: PlainTransport
    recv_transport: PlainTransport
    producer: Producer
    consumer: Consumer
    seq: int = 0

    def send(
        self,
        count: int,
        payload_type: int = OPUS_PT,
        ssrc: int = OPUS_SSRC,
        payload: bytes = b"\xfc" + b"\x00" * 40,
    ) -> None:
        address = (self.send_transport.tuple["localIp"], self.send_transport.tuple["localPort"])
        for _ in range(count):
            self.seq += 1
            packet = rtp_packet(payload_type, self.seq, self.seq * 960, ssrc, payload)
            self.sender.sendto(packet, address)

    async def send_and_receive(self, count: int, **kwargs: Any) -> list[bytes]:
        """Send ``count`` packets, 2 ms apart, and collect what the consumer forwards."""
        received: list[bytes] = []
        loop = asyncio.get_running_loop()

        async def collect() -> None:
            received.extend(await receive_for(self.receiver, count * 0.002 + 0.5))

        task = loop.create_task(collect())
        for _ in range(count // 10):
            self.send(10, **kwargs)
            await asyncio.sleep(0.02)
        await task
        return received


@pytest.fixture
async def pipeline(router: Router) -> AsyncIterator[Pipeline]:
    sender, receiver = udp_socket(), udp_socket()
    send_transport = await router.create_plain_transport(
        listen_info={"protocol": "udp", "ip": "127.0.0.1"}, comedia=True
    )
    recv_transport = await router.create_plain_transport(
        listen_info={"protocol": "udp", "ip": "127.0.0.1"}
    )
    await recv_transport.connect(ip="127.0.0.1", port=receiver.getsockname()[1])
    producer = await send_transport.produce("audio", OPUS_PARAMETERS)
    consumer = await recv_transport.consume(producer.id, router.rtp_capabilities)
    yield Pipeline(sender, receiver, send_transport, recv_transport, producer, consumer)
    sender.close()
    receiver.close()


async def test_produce_and_consume_real_rtp(pipeline: Pipeline, router: Router) -> None:
    producer, consumer = pipeline.producer, pipeline.consumer
    assert producer.kind == "audio" and producer.type == "simple"
    assert producer.rtp_parameters["rtcp"]["cname"] == "test-cname"
    assert consumer.kind == "audio" and consumer.type == "simple"
    assert consumer.producer_id == producer.id and not consumer.paused
    consumer_codec = consumer.rtp_parameters["codecs"][0]
    assert consumer_codec["mimeType"] == "audio/opus"
    assert (
        consumer_codec["payloadType"]
        == router.rtp_capabilities["codecs"][0]["preferredPayloadType"]
    )
    consumer_ssrc = consumer.rtp_parameters["encodings"][0]["ssrc"]

    received = await pipeline.send_and_receive(300)

    stats = await producer.get_stats()
    assert stats[0]["type"] == "inbound-rtp" and stats[0]["ssrc"] == OPUS_SSRC
    assert stats[0]["packetCount"] == 300
    assert stats[0]["mimeType"] == "audio/opus"
    assert pipeline.send_transport.tuple["remotePort"] == pipeline.sender.getsockname()[1]

    media = media_packets(received, consumer_ssrc)
    assert len(media) >= 290
    assert {parse_rtp(p)["payloadType"] for p in media} == {consumer_codec["payloadType"]}

    consumer_stats = await consumer.get_stats()
    outbound = next(s for s in consumer_stats if s["type"] == "outbound-rtp")
    assert outbound["packetCount"] == len(media)
    transport_stats = (await pipeline.recv_transport.get_stats())[0]
    assert transport_stats["rtpBytesSent"] > 0
    dump = await router.dump()
    assert dump["mapProducerIdConsumerIds"] == {producer.id: [consumer.id]}


async def test_consumer_pause_and_resume_stop_and_restart_the_flow(pipeline: Pipeline) -> None:
    ssrc = pipeline.consumer.rtp_parameters["encodings"][0]["ssrc"]
    assert len(media_packets(await pipeline.send_and_receive(50), ssrc)) >= 45
    await pipeline.consumer.pause()
    assert pipeline.consumer.paused
    assert media_packets(await pipeline.send_and_receive(50), ssrc) == []
    await pipeline.consumer.resume()
    assert not pipeline.consumer.paused
    assert len(media_packets(await pipeline.send_and_receive(50), ssrc)) >= 45


async def test_producer_pause_is_seen_by_consumer(pipeline: Pipeline) -> None:
    events: list[str] = []
    pipeline.consumer.on("producerpause", lambda: events.append("pause"))
    pipeline.consumer.on("producerresume", lambda: events.append("resume"))
    await pipeline.producer.pause()
    await wait_until(lambda: events == ["pause"])
    assert pipeline.consumer.producer_paused
    ssrc = pipeline.consumer.rtp_parameters["encodings"][0]["ssrc"]
    assert media_packets(await pipeline.send_and_receive(30), ssrc) == []
    await pipeline.producer.resume()
    await wait_until(lambda: events == ["pause", "resume"])
    assert len(media_packets(await pipeline.send_and_receive(30), ssrc)) >= 25


async def test_producer_close_closes_its_consumers(pipeline: Pipeline) -> None:
    closed: list[bool] = []
    pipeline.consumer.on("producerclose", lambda: closed.append(True))
    pipeline.producer.close()
    await wait_until(lambda: closed == [True])
    assert pipeline.consumer.closed
    assert pipeline.recv_transport.consumers == {}
    assert pipeline.send_transport.producers == {}


async def test_video_consumer_gets_forwarded_keyframes(router: Router) -> None:
    sender, receiver = udp_socket(), udp_socket()
    try:
        send_transport = await router.create_plain_transport(
            listen_info={"ip": "127.0.0.1"}, comedia=True
        )
        recv_transport = await router.create_plain_transport(listen_info={"ip": "127.0.0.1"})
        await recv_transport.connect(ip="127.0.0.1", port=receiver.getsockname()[1])
        producer = await send_transport.produce("video", VP8_PARAMETERS)
        consumer = await recv_transport.consume(producer.id, router.rtp_capabilities)
        assert consumer.rtp_parameters["encodings"][0]["rtx"]["ssrc"] > 0
        await consumer.request_key_frame()
        await consumer.set_preferred_layers(0, 0)
        pipe = Pipeline(sender, receiver, send_transport, recv_transport, producer, consumer)
        # VP8 payload descriptor (X=1, S=1; I=1, picture id 1) then a key frame
        # header (P=0, start code 9d 01 2a, 640x480).
        keyframe = bytes(
            [0x90, 0x80, 0x01, 0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01]
        )
        received = await pipe.send_and_receive(
            100, payload_type=VP8_PT, ssrc=VP8_SSRC, payload=keyframe + b"\x00" * 100
        )
        consumer_ssrc = consumer.rtp_parameters["encodings"][0]["ssrc"]
        media = media_packets(received, consumer_ssrc)
        assert len(media) >= 90
        vp8_pt = router.rtp_capabilities["codecs"][1]["preferredPayloadType"]
        assert {parse_rtp(p)["payloadType"] for p in media} == {vp8_pt}
        assert (await producer.get_stats())[0]["packetCount"] == 100
    finally:
        sender.close()
        receiver.close()


async def test_close_cascade_leaves_the_worker_empty(
    worker: Worker, pipeline: Pipeline, router: Router
) -> None:
    observer = await router.create_audio_level_observer()
    await observer.add_producer(pipeline.producer.id)
    direct = await router.create_direct_transport()
    direct_consumer = await direct.consume(pipeline.producer.id, router.rtp_capabilities)
    events: list[str] = []
    pipeline.send_transport.on("routerclose", lambda: events.append("transport"))
    pipeline.producer.on("transportclose", lambda: events.append("producer"))
    pipeline.consumer.on("transportclose", lambda: events.append("consumer"))
    observer.on("routerclose", lambda: events.append("observer"))

    router.close()

    assert sorted(events) == ["consumer", "observer", "producer", "transport"]
    for obj in (
        pipeline.send_transport,
        pipeline.recv_transport,
        direct,
        pipeline.producer,
        pipeline.consumer,
        direct_consumer,
        observer,
    ):
        assert obj.closed
    assert router.transports == {} and router.producers == {} and router.rtp_observers == {}
    assert pipeline.send_transport.producers == {} and pipeline.recv_transport.consumers == {}
    assert worker.routers == {}
    dump = await worker.dump()
    assert dump["routerIds"] == []
    assert dump["channelMessageHandlers"] == {
        "channelRequestHandlers": [],
        "channelNotificationHandlers": [],
    }
    assert not worker.channel.has_listeners(pipeline.producer.id)
