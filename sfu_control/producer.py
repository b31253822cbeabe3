"""Producer: an RTP stream received by a transport (port of ``Producer.ts``)."""

from __future__ import annotations

import logging
from typing import Any, Literal

from .events import EventEmitter, event_names
from .rtp_parameters import RtpParameters, parse_rtp_parameters
from .rtp_stream import parse_rtp_stream_stats
from .wire import fbs
from .wire.channel import Channel
from .wire.values import s, to_dict
from .worker_object import WorkerObject

logger = logging.getLogger("sfu_control.producer")

PRODUCER_TRACE_EVENT_TYPES = ("keyframe", "fir", "nack", "pli", "rtp", "sr")


ProducerEvent = Literal["@close", "transportclose", "score", "trace", "videoorientationchange"]
ProducerObserverEvent = Literal[
    "close", "pause", "resume", "score", "trace", "videoorientationchange"
]


class Producer(WorkerObject[ProducerEvent]):
    """Events: ``transportclose``, ``score`` (list), ``videoorientationchange``
    (dict), ``trace``. ``observer``: ``close``, ``pause``, ``resume``, ``score``,
    ``videoorientationchange``, ``trace``."""

    EVENTS = event_names(ProducerEvent)
    OBSERVER_EVENTS = event_names(ProducerObserverEvent)

    def __init__(
        self,
        *,
        transport_id: str,
        producer_id: str,
        kind: str,
        rtp_parameters: RtpParameters,
        producer_type: str,
        consumable_rtp_parameters: RtpParameters,
        channel: Channel,
        app_data: dict[str, Any] | None,
        paused: bool,
    ) -> None:
        super().__init__()
        self.id = producer_id
        self.kind = kind
        self.rtp_parameters = rtp_parameters
        self.type = producer_type
        self.consumable_rtp_parameters = consumable_rtp_parameters
        self.app_data: dict[str, Any] = app_data or {}
        self.observer = EventEmitter(self.OBSERVER_EVENTS)
        self._transport_id = transport_id
        self._channel = channel
        self._closed = False
        self._paused = paused
        self._score: list[dict[str, Any]] = []
        channel.on(producer_id, self._on_notification)

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def score(self) -> list[dict[str, Any]]:
        return self._score

    def close(self) -> None:
        body = fbs.CloseProducerRequestT()
        body.producerId = self.id
        self._close_in_worker(
            fbs.Method.TRANSPORT_CLOSE_PRODUCER,
            self._transport_id,
            fbs.RequestBody.Transport_CloseProducerRequest,
            body,
        )

    def transport_closed(self) -> None:
        self._parent_closed("transportclose")

    async def dump(self) -> dict[str, Any]:
        d = await self._channel.request(fbs.Method.PRODUCER_DUMP, self.id)
        result = to_dict(d)
        result["kind"] = "audio" if d.kind == fbs.MediaKind.AUDIO else "video"
        result["type"] = producer_type_from_fbs(d.type)
        result["rtpParameters"] = parse_rtp_parameters(d.rtpParameters)
        result["traceEventTypes"] = [
            PRODUCER_TRACE_EVENT_TYPES[t] for t in (d.traceEventTypes or [])
        ]
        return result

    async def get_stats(self) -> list[dict[str, Any]]:
        """One ``inbound-rtp`` entry per received stream."""
        d = await self._channel.request(fbs.Method.PRODUCER_GET_STATS, self.id)
        return [parse_rtp_stream_stats(st) for st in d.stats or []]

    async def pause(self) -> None:
        await self._channel.request(fbs.Method.PRODUCER_PAUSE, self.id)
        was_paused = self._paused
        self._paused = True
        if not was_paused:
            self.observer.emit("pause")

    async def resume(self) -> None:
        await self._channel.request(fbs.Method.PRODUCER_RESUME, self.id)
        was_paused = self._paused
        self._paused = False
        if was_paused:
            self.observer.emit("resume")

    async def enable_trace_event(self, types: list[str]) -> None:
        body = fbs.ProducerEnableTraceEventRequestT()
        body.events = [PRODUCER_TRACE_EVENT_TYPES.index(t) for t in types]
        await self._channel.request(
            fbs.Method.PRODUCER_ENABLE_TRACE_EVENT,
            self.id,
            fbs.RequestBody.Producer_EnableTraceEventRequest,
            body,
        )

    def send(self, rtp_packet: bytes) -> None:
        """Inject an RTP packet (Producers on a DirectTransport only)."""
        body = fbs.ProducerSendNotificationT()
        body.data = list(rtp_packet)
        self._channel.notify(
            fbs.Event.PRODUCER_SEND, self.id, fbs.NotificationBody.Producer_SendNotification, body
        )

    def _on_notification(self, event: int, body: Any) -> None:
        if event == fbs.Event.PRODUCER_SCORE:
            self._score = [
                {
                    "encodingIdx": x.encodingIdx,
                    "ssrc": x.ssrc,
                    **({"rid": s(x.rid)} if x.rid is not None else {}),
                    "score": x.score,
                }
                for x in body.scores or []
            ]
            self.emit("score", self._score)
            self.observer.emit("score", self._score)
        elif event == fbs.Event.PRODUCER_VIDEO_ORIENTATION_CHANGE:
            orientation = to_dict(body)
            self.emit("videoorientationchange", orientation)
            self.observer.emit("videoorientationchange", orientation)
        elif event == fbs.Event.PRODUCER_TRACE:
            trace = to_dict(body)
            trace["type"] = PRODUCER_TRACE_EVENT_TYPES[body.type]
            trace["direction"] = "in" if body.direction == 0 else "out"
            self.emit("trace", trace)
            self.observer.emit("trace", trace)
        else:
            logger.error("ignoring unknown event %s", event)


_TYPE_NAMES = {
    "simple": fbs.RtpType.SIMPLE,
    "simulcast": fbs.RtpType.SIMULCAST,
    "svc": fbs.RtpType.SVC,
}


def producer_type_from_fbs(value: int) -> str:
    for name, fbs_value in _TYPE_NAMES.items():
        if fbs_value == value:
            return name
    raise TypeError(f"invalid FbsRtpParameters.Type: {value}")


def producer_type_to_fbs(value: str) -> int:
    return _TYPE_NAMES[value]
