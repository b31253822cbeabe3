"""DataConsumer: SCTP / direct messages sent by a transport."""

from __future__ import annotations

import logging
from typing import Any, Literal

from .data_producer import message_ppid, parse_data_dump
from .events import EventEmitter, event_names
from .wire import fbs
from .wire.channel import Channel
from .wire.values import s
from .worker_object import WorkerObject

logger = logging.getLogger("sfu_control.data_consumer")


DataConsumerEvent = Literal[
    "@close",
    "@dataproducerclose",
    "transportclose",
    "dataproducerclose",
    "dataproducerpause",
    "dataproducerresume",
    "message",
    "sctpsendbufferfull",
    "bufferedamountlow",
]
DataConsumerObserverEvent = Literal["close", "pause", "resume"]


class DataConsumer(WorkerObject[DataConsumerEvent]):
    """Events: ``transportclose``, ``dataproducerclose``, ``dataproducerpause``,
    ``dataproducerresume``, ``message`` (bytes, ppid), ``sctpsendbufferfull``,
    ``bufferedamountlow``. ``observer``: ``close``, ``pause``, ``resume``."""

    EVENTS = event_names(DataConsumerEvent)
    OBSERVER_EVENTS = event_names(DataConsumerObserverEvent)

    def __init__(
        self,
        *,
        transport_id: str,
        data_consumer_id: str,
        dump: dict[str, Any],
        channel: Channel,
        app_data: dict[str, Any] | None,
    ) -> None:
        super().__init__()
        self.id = data_consumer_id
        self.data_producer_id: str = dump["dataProducerId"]
        self.type: str = dump["type"]
        self.sctp_stream_parameters: dict[str, Any] | None = dump.get("sctpStreamParameters")
        self.label: str = dump["label"]
        self.protocol: str = dump["protocol"]
        self.app_data: dict[str, Any] = app_data or {}
        self.observer = EventEmitter(self.OBSERVER_EVENTS)
        self._buffered_amount_low_threshold: int = dump["bufferedAmountLowThreshold"]
        self._transport_id = transport_id
        self._channel = channel
        self._closed = False
        self._paused: bool = dump["paused"]
        self._data_producer_paused: bool = dump["dataProducerPaused"]
        self._subchannels: list[int] = dump["subchannels"]
        channel.on(data_consumer_id, self._on_notification)

    @staticmethod
    def parse_dump(d: Any) -> dict[str, Any]:
        return {
            **parse_data_dump(d),
            "dataProducerId": s(d.dataProducerId),
            "bufferedAmountLowThreshold": d.bufferedAmountLowThreshold,
            "dataProducerPaused": d.dataProducerPaused,
            "subchannels": list(d.subchannels if d.subchannels is not None else []),
        }

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def buffered_amount_low_threshold(self) -> int:
        return self._buffered_amount_low_threshold

    @property
    def data_producer_paused(self) -> bool:
        return self._data_producer_paused

    @property
    def subchannels(self) -> list[int]:
        return list(self._subchannels)

    def close(self) -> None:
        body = fbs.CloseDataConsumerRequestT()
        body.dataConsumerId = self.id
        self._close_in_worker(
            fbs.Method.TRANSPORT_CLOSE_DATACONSUMER,
            self._transport_id,
            fbs.RequestBody.Transport_CloseDataConsumerRequest,
            body,
        )

    def transport_closed(self) -> None:
        self._parent_closed("transportclose")

    async def dump(self) -> dict[str, Any]:
        return self.parse_dump(await self._channel.request(fbs.Method.DATACONSUMER_DUMP, self.id))

    async def get_stats(self) -> list[dict[str, Any]]:
        d = await self._channel.request(fbs.Method.DATACONSUMER_GET_STATS, self.id)
        return [
            {
                "type": "data-consumer",
                "timestamp": d.timestamp,
                "label": s(d.label) or "",
                "protocol": s(d.protocol) or "",
                "messagesSent": d.messagesSent,
                "bytesSent": d.bytesSent,
                "bufferedAmount": d.bufferedAmount,
            }
        ]

    async def pause(self) -> None:
        await self._channel.request(fbs.Method.DATACONSUMER_PAUSE, self.id)
        was_paused, self._paused = self._paused, True
        if not was_paused and not self._data_producer_paused:
            self.observer.emit("pause")

    async def resume(self) -> None:
        await self._channel.request(fbs.Method.DATACONSUMER_RESUME, self.id)
        was_paused, self._paused = self._paused, False
        if was_paused and not self._data_producer_paused:
            self.observer.emit("resume")

    async def set_buffered_amount_low_threshold(self, threshold: int) -> None:
        body = fbs.SetBufferedAmountLowThresholdRequestT()
        body.threshold = threshold
        await self._channel.request(
            fbs.Method.DATACONSUMER_SET_BUFFERED_AMOUNT_LOW_THRESHOLD,
            self.id,
            fbs.RequestBody.DataConsumer_SetBufferedAmountLowThresholdRequest,
            body,
        )
        self._buffered_amount_low_threshold = threshold

    async def get_buffered_amount(self) -> int:
        d = await self._channel.request(fbs.Method.DATACONSUMER_GET_BUFFERED_AMOUNT, self.id)
        return int(d.bufferedAmount)

    async def send(self, message: str | bytes, ppid: int | None = None) -> None:
        data, ppid = message_ppid(message, ppid)
        body = fbs.DataConsumerSendRequestT()
        body.ppid = ppid
        body.data = list(data)
        await self._channel.request(
            fbs.Method.DATACONSUMER_SEND, self.id, fbs.RequestBody.DataConsumer_SendRequest, body
        )

    async def set_subchannels(self, subchannels: list[int]) -> None:
        body = fbs.SetSubchannelsRequestT()
        body.subchannels = list(subchannels)
        d = await self._channel.request(
            fbs.Method.DATACONSUMER_SET_SUBCHANNELS,
            self.id,
            fbs.RequestBody.DataConsumer_SetSubchannelsRequest,
            body,
        )
        self._subchannels = list(d.subchannels if d.subchannels is not None else [])

    def _on_notification(self, event: int, body: Any) -> None:
        if event == fbs.Event.DATACONSUMER_DATAPRODUCER_CLOSE:
            if self._closed:
                return
            self._closed = True
            self._channel.remove_all_listeners(self.id)
            self.emit("@dataproducerclose")
            self.emit("dataproducerclose")
            self.observer.emit("close")
        elif event == fbs.Event.DATACONSUMER_DATAPRODUCER_PAUSE:
            if self._data_producer_paused:
                return
            self._data_producer_paused = True
            self.emit("dataproducerpause")
            if not self._paused:
                self.observer.emit("pause")
        elif event == fbs.Event.DATACONSUMER_DATAPRODUCER_RESUME:
            if not self._data_producer_paused:
                return
            self._data_producer_paused = False
            self.emit("dataproducerresume")
            if not self._paused:
                self.observer.emit("resume")
        elif event == fbs.Event.DATACONSUMER_SCTP_SENDBUFFER_FULL:
            self.emit("sctpsendbufferfull")
        elif event == fbs.Event.DATACONSUMER_BUFFERED_AMOUNT_LOW:
            self.emit("bufferedamountlow", body.bufferedAmount)
        elif event == fbs.Event.DATACONSUMER_MESSAGE:
            if not self._closed:
                self.emit("message", bytes(body.data), body.ppid)
        else:
            logger.error("ignoring unknown event %s", event)
