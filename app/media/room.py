"""One consultation's media: its router, and each connected peer's transports and streams.

The wiring follows mediasoup-demo: a peer that joins consumes every existing producer of
the others; a new producer is consumed by every joined peer. Consumers start paused and are
resumed once the client has accepted them (the ``newConsumer`` server request).

As in mediasoup-demo, the request that causes consumers (``join``, ``produce``) is answered
first: each consumer is made in a task of its own, so a client slow to accept its
``newConsumer`` (up to the request timeout) delays neither the caller nor the other peers.

Each peer's connection quality, from the scores of its streams, is announced to the room
(``app.media.quality``).
"""

import asyncio
import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from app.errors import Refused
from app.media.quality import Quality, QualityWatch, level, worst_score
from app.realtime.peer import Peer, PeerRequestError
from sfu_control import (
    ActiveSpeakerObserver,
    Consumer,
    Producer,
    Router,
    WebRtcTransport,
    WorkerError,
    validate_rtp_capabilities,
)

log = logging.getLogger(__name__)

# How a receiving transport shares its bandwidth among its video consumers (mediasoup gives
# the higher priorities their layers first): a medical device's video is what the doctor
# examines, a shared screen carries text to read, a camera shows the person.
DEVICE_PRIORITY = 3
SCREEN_PRIORITY = 2
CAMERA_PRIORITY = 1  # mediasoup's default


def _layers(layers: dict[str, Any] | None) -> dict[str, int | None]:
    """A consumer's current layers as its notification carries them: null when it receives none
    (its producer paused, or too little bandwidth for even the lowest layer)."""
    layers = layers or {}
    return {
        "spatialLayer": layers.get("spatialLayer"),
        "temporalLayer": layers.get("temporalLayer"),
    }


def consumer_priority(app_data: dict[str, Any]) -> int:
    """The priority of a consumer of a producer labelled ``app_data`` (see ``app.ws.app_data``)."""
    if "device" in app_data:
        return DEVICE_PRIORITY
    return SCREEN_PRIORITY if app_data.get("source") == "screen" else CAMERA_PRIORITY


class MediaError(Refused):
    """A media request that cannot be served (400); the message goes to the client."""

    def __init__(self, msg: str) -> None:
        super().__init__(400, msg)


Kind = Literal["transports", "producers", "consumers"]


@dataclass(frozen=True)
class MediaLimits:
    """How many objects of each kind one participant socket may hold at once."""

    transports: int
    producers: int
    consumers: int


@dataclass(eq=False)
class MediaPeer:
    peer: Peer
    limits: MediaLimits
    rtp_capabilities: dict[str, Any] | None = None
    transports: dict[str, WebRtcTransport] = field(default_factory=dict)
    producers: dict[str, Producer] = field(default_factory=dict)
    consumers: dict[str, Consumer] = field(default_factory=dict)
    _creating: Counter[Kind] = field(default_factory=Counter)
    # The consumers being made for this peer (see Room.consume_soon).
    _consuming: set[asyncio.Task[None]] = field(default_factory=set)
    # Its transports whose ICE connection is lost (``disconnected``) for now.
    ice_lost: set[str] = field(default_factory=set)

    @property
    def joined(self) -> bool:
        return self.rtp_capabilities is not None

    @contextmanager
    def slot(self, kind: Kind) -> Iterator[None]:
        """Hold a slot of ``kind`` while the worker creates the object.

        The check and the reservation happen before any await, so that concurrent requests
        cannot all pass it; the object is added to its table inside the block. A closed
        object leaves its table, which frees its slot.
        """
        limit = getattr(self.limits, kind)
        if len(getattr(self, kind)) + self._creating[kind] >= limit:
            raise MediaError(f"too many {kind} (at most {limit})")
        self._creating[kind] += 1
        try:
            yield
        finally:
            self._creating[kind] -= 1

    def transport(self, transport_id: object) -> WebRtcTransport:
        transport = self.transports.get(transport_id) if isinstance(transport_id, str) else None
        if transport is None:
            raise MediaError("transport not found")
        return transport

    def producer(self, producer_id: object) -> Producer:
        producer = self.producers.get(producer_id) if isinstance(producer_id, str) else None
        if producer is None:
            raise MediaError("producer not found")
        return producer

    def consumer(self, consumer_id: object) -> Consumer:
        consumer = self.consumers.get(consumer_id) if isinstance(consumer_id, str) else None
        if consumer is None:
            raise MediaError("consumer not found")
        return consumer

    def stop_consuming(self) -> None:
        """Cancel the consumers still being made for this peer."""
        for task in list(self._consuming):
            task.cancel()

    def close(self) -> None:
        self.stop_consuming()
        for transport in list(self.transports.values()):
            transport.close()
        self.transports.clear()


def _quality(media_peer: MediaPeer, quality: Quality) -> dict[str, Any]:
    return {"peerId": media_peer.peer.session_id, "quality": quality}


class Room:
    def __init__(
        self,
        onetoone_id: int,
        router: Router,
        speaker_observer: ActiveSpeakerObserver,
        limits: MediaLimits,
    ) -> None:
        self.onetoone_id = onetoone_id
        self.router = router
        self.speaker_observer = speaker_observer
        self.limits = limits
        self.peers: dict[Peer, MediaPeer] = {}
        speaker_observer.on("dominantspeaker", self._on_dominant_speaker)
        self.quality = QualityWatch(self._quality_of, self._announce_quality)

    @property
    def closed(self) -> bool:
        return self.router.closed

    def media_peer(self, peer: Peer) -> MediaPeer:
        media_peer = self.peers.get(peer)
        if media_peer is None:
            media_peer = self.peers[peer] = MediaPeer(peer, self.limits)
        return media_peer

    def others(self, media_peer: MediaPeer) -> list[MediaPeer]:
        return [p for p in self.peers.values() if p is not media_peer and p.joined]

    async def join(self, media_peer: MediaPeer, rtp_capabilities: dict[str, Any]) -> None:
        if media_peer.joined:
            raise MediaError("already joined")
        # Checked now, as consume() would for each producer: else a malformed one is accepted
        # here and fails, logged, on every producer to come.
        validate_rtp_capabilities(rtp_capabilities)
        media_peer.rtp_capabilities = rtp_capabilities
        for other in self.others(media_peer):
            for producer in list(other.producers.values()):
                self.consume_soon(media_peer, other, producer)
        for other, quality in self.quality.current():
            if other is not media_peer and other.joined:
                media_peer.peer.notify_soon("connectionQuality", _quality(other, quality))

    def watch_transport(self, media_peer: MediaPeer, transport: WebRtcTransport) -> None:
        """Follow the transport's ICE connection: lost, the peer's quality is ``lost``."""

        def ice_state(state: str) -> None:
            if state == "disconnected":
                media_peer.ice_lost.add(transport.id)
            else:
                media_peer.ice_lost.discard(transport.id)
            self.quality.changed(media_peer)

        transport.on("icestatechange", ice_state)

    async def produce(
        self,
        media_peer: MediaPeer,
        transport: WebRtcTransport,
        kind: str,
        rtp_parameters: dict[str, Any],
        app_data: dict[str, Any],
    ) -> Producer:
        # Who sends it: the session (the others' tile) and the socket (whose end-to-end key
        # opens its frames: two devices of one session send with keys of their own).
        peer = media_peer.peer
        app_data = {**app_data, "peerId": peer.session_id, "socketId": str(peer.socket_id)}
        with media_peer.slot("producers"):
            producer = await transport.produce(kind, rtp_parameters, app_data=app_data)
            media_peer.producers[producer.id] = producer
        producer.on("transportclose", lambda: media_peer.producers.pop(producer.id, None))
        producer.on("score", lambda _: self.quality.changed(media_peer))
        if kind == "audio":
            await self.speaker_observer.add_producer(producer.id)
        for other in self.others(media_peer):
            self.consume_soon(other, media_peer, producer)
        return producer

    def close_producer(self, media_peer: MediaPeer, producer: Producer) -> None:
        producer.close()
        media_peer.producers.pop(producer.id, None)

    def consume_soon(
        self, consumer_peer: MediaPeer, producer_peer: MediaPeer, producer: Producer
    ) -> None:
        """Make ``consumer_peer``'s consumer of ``producer`` in a task of its own, after the
        current request is answered; the task ends with the peer (``MediaPeer.close``)."""
        task = asyncio.get_running_loop().create_task(
            self._consume_logged(consumer_peer, producer_peer, producer)
        )
        consumer_peer._consuming.add(task)
        task.add_done_callback(consumer_peer._consuming.discard)

    async def _consume_logged(
        self, consumer_peer: MediaPeer, producer_peer: MediaPeer, producer: Producer
    ) -> None:
        try:
            await self.consume(consumer_peer, producer_peer, producer)
        except WorkerError as refused:
            # The worker refused the consumer of what the producer's client declared (layers
            # its encodings do not have, say): that client's doing, not a fault here.
            log.info("peer %s gets no consumer: %s", consumer_peer.peer.session_id, refused)
        except Exception:
            # Nobody awaits this task: a producer or transport closed meanwhile ends here.
            if not (producer.closed or self.closed):
                log.exception("consumer for peer %s failed", consumer_peer.peer.session_id)

    async def consume(
        self, consumer_peer: MediaPeer, producer_peer: MediaPeer, producer: Producer
    ) -> None:
        """Let ``consumer_peer`` receive ``producer``, if it can and has a receiving transport."""
        assert consumer_peer.rtp_capabilities is not None
        if not self.router.can_consume(producer.id, consumer_peer.rtp_capabilities):
            return
        transport = next(
            (t for t in consumer_peer.transports.values() if t.app_data.get("consuming")), None
        )
        if transport is None:
            return
        try:
            with consumer_peer.slot("consumers"):
                consumer = await transport.consume(
                    producer.id,
                    consumer_peer.rtp_capabilities,
                    paused=True,
                    app_data={"peerId": producer_peer.peer.session_id, "producerId": producer.id},
                )
                self._watch(consumer_peer, consumer)
            priority = consumer_priority(producer.app_data)
            if consumer.kind == "video" and priority != CAMERA_PRIORITY:
                await consumer.set_priority(priority)
        except MediaError as full:
            # The producer's own request must not fail because a receiver is full.
            log.info("peer %s gets no consumer: %s", consumer_peer.peer.session_id, full)
            return
        try:
            await consumer_peer.peer.request(
                "newConsumer",
                {
                    "peerId": producer_peer.peer.session_id,
                    "producerId": producer.id,
                    "id": consumer.id,
                    "kind": consumer.kind,
                    "rtpParameters": consumer.rtp_parameters,
                    "type": consumer.type,
                    "appData": producer.app_data,
                    "producerPaused": consumer.producer_paused,
                },
            )
        except PeerRequestError as error:
            log.info("peer %s refused a consumer: %s", consumer_peer.peer.session_id, error)
            consumer.close()
            consumer_peer.consumers.pop(consumer.id, None)
            return
        if not consumer.closed:
            await consumer.resume()

    def _watch(self, media_peer: MediaPeer, consumer: Consumer) -> None:
        media_peer.consumers[consumer.id] = consumer
        peer = media_peer.peer
        ids = {"consumerId": consumer.id, "producerId": consumer.producer_id}

        def closed() -> None:
            media_peer.consumers.pop(consumer.id, None)
            peer.notify_soon("consumerClosed", ids)

        consumer.on("transportclose", lambda: media_peer.consumers.pop(consumer.id, None))
        consumer.on("score", lambda _: self.quality.changed(media_peer))
        consumer.on("producerclose", closed)
        consumer.on("producerpause", lambda: peer.notify_soon("producerPaused", ids))
        consumer.on("producerresume", lambda: peer.notify_soon("producerResumed", ids))

        def layers_changed(layers: dict[str, Any] | None) -> None:
            peer.notify_soon("consumerLayersChanged", {**ids, **_layers(layers)})
            self.quality.changed(media_peer)

        consumer.on("layerschange", layers_changed)

    def _on_dominant_speaker(self, event: dict[str, Any]) -> None:
        producer = event["producer"]
        data = {"peerId": producer.app_data.get("peerId"), "producerId": producer.id}
        for media_peer in self.peers.values():
            if media_peer.joined:
                media_peer.peer.notify_soon("activeSpeaker", data)

    def _quality_of(self, media_peer: MediaPeer) -> Quality | None:
        if media_peer.ice_lost:
            return "lost"
        score = worst_score(
            media_peer.producers.values(), media_peer.consumers.values(), self._producer
        )
        return None if score is None else level(score)

    def _producer(self, producer_id: str) -> Producer | None:
        for media_peer in self.peers.values():
            if producer_id in media_peer.producers:
                return media_peer.producers[producer_id]
        return None

    def _announce_quality(self, media_peer: MediaPeer, quality: Quality) -> None:
        data = _quality(media_peer, quality)
        for other in self.peers.values():
            if other.joined:
                other.peer.notify_soon("connectionQuality", data)

    def leave(self, peer: Peer) -> None:
        media_peer = self.peers.pop(peer, None)
        if media_peer is not None:
            self.quality.forget(media_peer)
            media_peer.close()

    def close(self) -> None:
        self.quality.close()
        for media_peer in self.peers.values():
            media_peer.stop_consuming()
        self.router.close()
        self.peers.clear()
