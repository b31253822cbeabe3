"""RTP observers: AudioLevelObserver and ActiveSpeakerObserver."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from .errors import NotFoundError
from .events import EventEmitter, EventT, event_names
from .wire import fbs
from .wire.channel import Channel
from .wire.values import s
from .worker_object import WorkerObject

if TYPE_CHECKING:
    from .producer import Producer

logger = logging.getLogger("sfu_control.rtp_observer")

GetProducer = Callable[[str], "Producer | None"]


RtpObserverEvent = Literal["@close", "routerclose"]
RtpObserverObserverEvent = Literal["close", "pause", "resume", "addproducer", "removeproducer"]


class RtpObserver(WorkerObject[EventT]):
    """Base class. Events: ``routerclose``. ``observer``: ``close``, ``pause``,
    ``resume``, ``addproducer``, ``removeproducer``."""

    EVENTS = event_names(RtpObserverEvent)
    OBSERVER_EVENTS = event_names(RtpObserverObserverEvent)

    def __init__(
        self,
        router_id: str,
        observer_id: str,
        channel: Channel,
        app_data: dict[str, Any] | None,
        get_producer: GetProducer,
    ) -> None:
        super().__init__()
        self.id = observer_id
        self.app_data: dict[str, Any] = app_data or {}
        self.observer = EventEmitter(self.OBSERVER_EVENTS)
        self._router_id = router_id
        self._channel = channel
        self._get_producer = get_producer
        self._closed = False
        self._paused = False
        channel.on(observer_id, self._on_notification)

    @property
    def paused(self) -> bool:
        return self._paused

    def close(self) -> None:
        body = fbs.CloseRtpObserverRequestT()
        body.rtpObserverId = self.id
        self._close_in_worker(
            fbs.Method.ROUTER_CLOSE_RTPOBSERVER,
            self._router_id,
            fbs.RequestBody.Router_CloseRtpObserverRequest,
            body,
        )

    def router_closed(self) -> None:
        self._parent_closed("routerclose")

    async def pause(self) -> None:
        was_paused = self._paused
        await self._channel.request(fbs.Method.RTPOBSERVER_PAUSE, self.id)
        self._paused = True
        if not was_paused:
            self.observer.emit("pause")

    async def resume(self) -> None:
        was_paused = self._paused
        await self._channel.request(fbs.Method.RTPOBSERVER_RESUME, self.id)
        self._paused = False
        if was_paused:
            self.observer.emit("resume")

    def _producer(self, producer_id: str) -> Producer:
        producer = self._get_producer(producer_id)
        if producer is None:
            raise NotFoundError(f'Producer with id "{producer_id}" not found')
        return producer

    async def add_producer(self, producer_id: str) -> None:
        producer = self._producer(producer_id)
        body = fbs.AddProducerRequestT()
        body.producerId = producer_id
        await self._channel.request(
            fbs.Method.RTPOBSERVER_ADD_PRODUCER,
            self.id,
            fbs.RequestBody.RtpObserver_AddProducerRequest,
            body,
        )
        self.observer.emit("addproducer", producer)

    async def remove_producer(self, producer_id: str) -> None:
        producer = self._producer(producer_id)
        body = fbs.RemoveProducerRequestT()
        body.producerId = producer_id
        await self._channel.request(
            fbs.Method.RTPOBSERVER_REMOVE_PRODUCER,
            self.id,
            fbs.RequestBody.RtpObserver_RemoveProducerRequest,
            body,
        )
        self.observer.emit("removeproducer", producer)

    def _on_notification(self, event: int, body: Any) -> None:
        logger.error("ignoring unknown event %s", event)


AudioLevelObserverEvent = Literal[RtpObserverEvent, "volumes", "silence"]
AudioLevelObserverObserverEvent = Literal[RtpObserverObserverEvent, "volumes", "silence"]


class AudioLevelObserver(RtpObserver[AudioLevelObserverEvent]):
    """Events: ``volumes`` (list of ``{"producer", "volume"}``), ``silence``."""

    EVENTS = event_names(AudioLevelObserverEvent)
    OBSERVER_EVENTS = event_names(AudioLevelObserverObserverEvent)

    def _on_notification(self, event: int, body: Any) -> None:
        if event == fbs.Event.AUDIOLEVELOBSERVER_VOLUMES:
            volumes = []
            for entry in body.volumes or []:
                producer = self._get_producer(s(entry.producerId) or "")
                if producer is not None:
                    volumes.append({"producer": producer, "volume": entry.volume})
            if volumes:
                self.emit("volumes", volumes)
                self.observer.emit("volumes", volumes)
        elif event == fbs.Event.AUDIOLEVELOBSERVER_SILENCE:
            self.emit("silence")
            self.observer.emit("silence")
        else:
            super()._on_notification(event, body)


ActiveSpeakerObserverEvent = Literal[RtpObserverEvent, "dominantspeaker"]
ActiveSpeakerObserverObserverEvent = Literal[RtpObserverObserverEvent, "dominantspeaker"]


class ActiveSpeakerObserver(RtpObserver[ActiveSpeakerObserverEvent]):
    """Events: ``dominantspeaker`` (``{"producer": Producer}``)."""

    EVENTS = event_names(ActiveSpeakerObserverEvent)
    OBSERVER_EVENTS = event_names(ActiveSpeakerObserverObserverEvent)

    def _on_notification(self, event: int, body: Any) -> None:
        if event == fbs.Event.ACTIVESPEAKEROBSERVER_DOMINANT_SPEAKER:
            producer = self._get_producer(s(body.producerId) or "")
            if producer is not None:
                self.emit("dominantspeaker", {"producer": producer})
                self.observer.emit("dominantspeaker", {"producer": producer})
        else:
            super()._on_notification(event, body)
