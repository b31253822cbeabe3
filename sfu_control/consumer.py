"""Consumer: an RTP stream sent by a transport (port of ``Consumer.ts``)."""

from __future__ import annotations

import logging
from typing import Any, Literal, NotRequired, TypedDict

from .errors import ParameterError
from .events import EventEmitter, event_names
from .rtp_parameters import RtpParameters, parse_rtp_parameters
from .rtp_stream import parse_rtp_stream_stats
from .wire import fbs
from .wire.channel import Channel
from .wire.values import to_dict
from .worker_object import WorkerObject

logger = logging.getLogger("sfu_control.consumer")

CONSUMER_TRACE_EVENT_TYPES = ("keyframe", "fir", "nack", "pli", "rtp")


class ConsumerLayers(TypedDict):
    spatialLayer: int
    temporalLayer: NotRequired[int]


def parse_consumer_layers(layers: Any) -> ConsumerLayers | None:
    if layers is None:
        return None
    result: ConsumerLayers = {"spatialLayer": layers.spatialLayer}
    if layers.temporalLayer is not None:
        result["temporalLayer"] = layers.temporalLayer
    return result


ConsumerEvent = Literal[
    "@close",
    "@producerclose",
    "transportclose",
    "producerclose",
    "producerpause",
    "producerresume",
    "score",
    "layerschange",
    "trace",
    "rtp",
]
ConsumerObserverEvent = Literal["close", "pause", "resume", "score", "layerschange", "trace"]


class Consumer(WorkerObject[ConsumerEvent]):
    """Events: ``transportclose``, ``producerclose``, ``producerpause``,
    ``producerresume``, ``score``, ``layerschange``, ``trace``, ``rtp`` (bytes,
    DirectTransport only). ``observer``: ``close``, ``pause``, ``resume``,
    ``score``, ``layerschange``, ``trace``."""

    EVENTS = event_names(ConsumerEvent)
    OBSERVER_EVENTS = event_names(ConsumerObserverEvent)

    def __init__(
        self,
        *,
        transport_id: str,
        consumer_id: str,
        producer_id: str,
        kind: str,
        rtp_parameters: RtpParameters,
        consumer_type: str,
        channel: Channel,
        app_data: dict[str, Any] | None,
        paused: bool,
        producer_paused: bool,
        score: dict[str, Any] | None = None,
        preferred_layers: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.id = consumer_id
        self.producer_id = producer_id
        self.kind = kind
        self.rtp_parameters = rtp_parameters
        self.type = consumer_type
        self.app_data: dict[str, Any] = app_data or {}
        self.observer = EventEmitter(self.OBSERVER_EVENTS)
        self._transport_id = transport_id
        self._channel = channel
        self._closed = False
        self._paused = paused
        self._producer_paused = producer_paused
        self._priority = 1
        self._score = score or {"score": 10, "producerScore": 10, "producerScores": []}
        self._preferred_layers = preferred_layers
        self._current_layers: dict[str, Any] | None = None
        channel.on(consumer_id, self._on_notification)

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def producer_paused(self) -> bool:
        return self._producer_paused

    @property
    def priority(self) -> int:
        return self._priority

    @property
    def score(self) -> dict[str, Any]:
        return self._score

    @property
    def preferred_layers(self) -> dict[str, Any] | None:
        return self._preferred_layers

    @property
    def current_layers(self) -> dict[str, Any] | None:
        return self._current_layers

    def close(self) -> None:
        body = fbs.CloseConsumerRequestT()
        body.consumerId = self.id
        self._close_in_worker(
            fbs.Method.TRANSPORT_CLOSE_CONSUMER,
            self._transport_id,
            fbs.RequestBody.Transport_CloseConsumerRequest,
            body,
        )

    def transport_closed(self) -> None:
        self._parent_closed("transportclose")

    async def dump(self) -> dict[str, Any]:
        d = await self._channel.request(fbs.Method.CONSUMER_DUMP, self.id)
        result = to_dict(d.data)
        base = d.data.base
        result["base"]["rtpParameters"] = parse_rtp_parameters(base.rtpParameters)
        return result

    async def get_stats(self) -> list[dict[str, Any]]:
        """``outbound-rtp`` stats of the consumer (plus the producer's ``inbound-rtp``)."""
        d = await self._channel.request(fbs.Method.CONSUMER_GET_STATS, self.id)
        return [parse_rtp_stream_stats(st) for st in d.stats or []]

    async def pause(self) -> None:
        await self._channel.request(fbs.Method.CONSUMER_PAUSE, self.id)
        was_paused = self._paused
        self._paused = True
        if not was_paused and not self._producer_paused:
            self.observer.emit("pause")

    async def resume(self) -> None:
        await self._channel.request(fbs.Method.CONSUMER_RESUME, self.id)
        was_paused = self._paused
        self._paused = False
        if was_paused and not self._producer_paused:
            self.observer.emit("resume")

    async def set_preferred_layers(
        self, spatial_layer: int, temporal_layer: int | None = None
    ) -> None:
        """Preferred simulcast/SVC layers of a video consumer."""
        layers = fbs.ConsumerLayersT()
        layers.spatialLayer = spatial_layer
        layers.temporalLayer = temporal_layer
        body = fbs.SetPreferredLayersRequestT()
        body.preferredLayers = layers
        d = await self._channel.request(
            fbs.Method.CONSUMER_SET_PREFERRED_LAYERS,
            self.id,
            fbs.RequestBody.Consumer_SetPreferredLayersRequest,
            body,
        )
        self._preferred_layers = parse_consumer_layers(d.preferredLayers) if d is not None else None

    async def set_priority(self, priority: int) -> None:
        if priority < 0:
            raise ParameterError("priority must be a positive number")
        body = fbs.SetPriorityRequestT()
        body.priority = priority
        d = await self._channel.request(
            fbs.Method.CONSUMER_SET_PRIORITY,
            self.id,
            fbs.RequestBody.Consumer_SetPriorityRequest,
            body,
        )
        self._priority = d.priority

    async def unset_priority(self) -> None:
        await self.set_priority(1)

    async def request_key_frame(self) -> None:
        await self._channel.request(fbs.Method.CONSUMER_REQUEST_KEY_FRAME, self.id)

    async def enable_trace_event(self, types: list[str]) -> None:
        body = fbs.ConsumerEnableTraceEventRequestT()
        body.events = [CONSUMER_TRACE_EVENT_TYPES.index(t) for t in types]
        await self._channel.request(
            fbs.Method.CONSUMER_ENABLE_TRACE_EVENT,
            self.id,
            fbs.RequestBody.Consumer_EnableTraceEventRequest,
            body,
        )

    def _on_notification(self, event: int, body: Any) -> None:
        if event == fbs.Event.CONSUMER_PRODUCER_CLOSE:
            if self._closed:
                return
            self._closed = True
            self._channel.remove_all_listeners(self.id)
            self.emit("@producerclose")
            self.emit("producerclose")
            self.observer.emit("close")
        elif event == fbs.Event.CONSUMER_PRODUCER_PAUSE:
            if self._producer_paused:
                return
            self._producer_paused = True
            self.emit("producerpause")
            if not self._paused:
                self.observer.emit("pause")
        elif event == fbs.Event.CONSUMER_PRODUCER_RESUME:
            if not self._producer_paused:
                return
            self._producer_paused = False
            self.emit("producerresume")
            if not self._paused:
                self.observer.emit("resume")
        elif event == fbs.Event.CONSUMER_SCORE:
            self._score = to_dict(body.score)
            self.emit("score", self._score)
            self.observer.emit("score", self._score)
        elif event == fbs.Event.CONSUMER_LAYERS_CHANGE:
            self._current_layers = parse_consumer_layers(body.layers)
            self.emit("layerschange", self._current_layers)
            self.observer.emit("layerschange", self._current_layers)
        elif event == fbs.Event.CONSUMER_TRACE:
            trace = to_dict(body)
            trace["type"] = CONSUMER_TRACE_EVENT_TYPES[body.type]
            trace["direction"] = "in" if body.direction == 0 else "out"
            self.emit("trace", trace)
            self.observer.emit("trace", trace)
        elif event == fbs.Event.CONSUMER_RTP:
            if not self._closed:
                self.emit("rtp", bytes(body.data))
        else:
            logger.error("ignoring unknown event %s", event)
