"""DataProducer: SCTP / direct messages received by a transport."""

from __future__ import annotations

from typing import Any, Literal

from .events import EventEmitter, event_names
from .sctp_parameters import parse_sctp_stream_parameters
from .wire import fbs
from .wire.channel import Channel
from .wire.values import enum_to_str, s
from .worker_object import WorkerObject


def message_ppid(message: str | bytes, ppid: int | None) -> tuple[bytes, int]:
    """WebRTC PPIDs (51 string, 53 binary, 56/57 empty) and the payload to send."""
    if ppid is None:
        empty = not message
        ppid = (56 if empty else 51) if isinstance(message, str) else (57 if empty else 53)
    if ppid == 56:
        message = " "
    elif ppid == 57:
        message = b"\x00"
    data = message.encode() if isinstance(message, str) else bytes(message)
    return data, ppid


def parse_data_dump(d: Any) -> dict[str, Any]:
    """Common fields of a DataProducer / DataConsumer dump."""
    result: dict[str, Any] = {
        "id": s(d.id),
        "type": enum_to_str(fbs.DataProducerType, d.type),
        "label": s(d.label) or "",
        "protocol": s(d.protocol) or "",
        "paused": d.paused,
    }
    if d.sctpStreamParameters is not None:
        result["sctpStreamParameters"] = parse_sctp_stream_parameters(d.sctpStreamParameters)
    return result


DataProducerEvent = Literal["@close", "transportclose"]
DataProducerObserverEvent = Literal["close", "pause", "resume"]


class DataProducer(WorkerObject[DataProducerEvent]):
    """Events: ``transportclose``. ``observer``: ``close``, ``pause``, ``resume``."""

    EVENTS = event_names(DataProducerEvent)
    OBSERVER_EVENTS = event_names(DataProducerObserverEvent)

    def __init__(
        self,
        *,
        transport_id: str,
        data_producer_id: str,
        dump: dict[str, Any],
        channel: Channel,
        paused: bool,
        app_data: dict[str, Any] | None,
    ) -> None:
        super().__init__()
        self.id = data_producer_id
        self.type: str = dump["type"]
        self.sctp_stream_parameters: dict[str, Any] | None = dump.get("sctpStreamParameters")
        self.label: str = dump["label"]
        self.protocol: str = dump["protocol"]
        self.app_data: dict[str, Any] = app_data or {}
        self.observer = EventEmitter(self.OBSERVER_EVENTS)
        self._transport_id = transport_id
        self._channel = channel
        self._closed = False
        self._paused = paused

    @property
    def paused(self) -> bool:
        return self._paused

    def close(self) -> None:
        body = fbs.CloseDataProducerRequestT()
        body.dataProducerId = self.id
        self._close_in_worker(
            fbs.Method.TRANSPORT_CLOSE_DATAPRODUCER,
            self._transport_id,
            fbs.RequestBody.Transport_CloseDataProducerRequest,
            body,
        )

    def transport_closed(self) -> None:
        self._parent_closed("transportclose")

    async def dump(self) -> dict[str, Any]:
        return parse_data_dump(await self._channel.request(fbs.Method.DATAPRODUCER_DUMP, self.id))

    async def get_stats(self) -> list[dict[str, Any]]:
        d = await self._channel.request(fbs.Method.DATAPRODUCER_GET_STATS, self.id)
        return [
            {
                "type": "data-producer",
                "timestamp": d.timestamp,
                "label": s(d.label) or "",
                "protocol": s(d.protocol) or "",
                "messagesReceived": d.messagesReceived,
                "bytesReceived": d.bytesReceived,
            }
        ]

    async def pause(self) -> None:
        await self._channel.request(fbs.Method.DATAPRODUCER_PAUSE, self.id)
        was_paused, self._paused = self._paused, True
        if not was_paused:
            self.observer.emit("pause")

    async def resume(self) -> None:
        await self._channel.request(fbs.Method.DATAPRODUCER_RESUME, self.id)
        was_paused, self._paused = self._paused, False
        if was_paused:
            self.observer.emit("resume")

    def send(
        self,
        message: str | bytes,
        ppid: int | None = None,
        subchannels: list[int] | None = None,
        required_subchannel: int | None = None,
    ) -> None:
        """Send a message (DataProducers on a DirectTransport only)."""
        data, ppid = message_ppid(message, ppid)
        body = fbs.DataProducerSendNotificationT()
        body.ppid = ppid
        body.data = list(data)
        body.subchannels = list(subchannels or [])
        body.requiredSubchannel = required_subchannel
        self._channel.notify(
            fbs.Event.DATAPRODUCER_SEND,
            self.id,
            fbs.NotificationBody.DataProducer_SendNotification,
            body,
        )
