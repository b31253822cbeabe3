"""Base class of all transports (port of ``Transport.ts``)."""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any, Literal

from . import ortc
from .consumer import Consumer, parse_consumer_layers
from .data_consumer import DataConsumer
from .data_producer import DataProducer, parse_data_dump
from .errors import InvalidStateError, NotFoundError, ParameterError
from .events import EventEmitter, EventT, event_names
from .producer import Producer, producer_type_from_fbs, producer_type_to_fbs
from .rtp_parameters import (
    RtpCapabilities,
    RtpParameters,
    serialize_rtp_encoding_parameters,
    serialize_rtp_mapping,
    serialize_rtp_parameters,
)
from .sctp_parameters import serialize_sctp_stream_parameters
from .transport_data import parse_base_transport_data, parse_base_transport_dump
from .wire import fbs
from .wire.channel import Channel
from .wire.values import enum_to_str, to_dict

if TYPE_CHECKING:
    from .router import Router

logger = logging.getLogger("sfu_control.transport")

TRANSPORT_TRACE_EVENT_TYPES = ("probation", "bwe")


TransportEvent = Literal[
    "@close",
    "@dataproducerclose",
    "@listenserverclose",
    "@newdataproducer",
    "@newproducer",
    "@producerclose",
    "listenserverclose",
    "routerclose",
    "sctpstatechange",
    "trace",
]
TransportObserverEvent = Literal[
    "close",
    "newconsumer",
    "newdataconsumer",
    "newdataproducer",
    "newproducer",
    "sctpstatechange",
    "trace",
]


class Transport(EventEmitter[EventT]):
    """Common API. Events: ``routerclose``, ``listenserverclose``, ``trace``.
    ``observer``: ``close``, ``newproducer``, ``newconsumer``,
    ``newdataproducer``, ``newdataconsumer``, ``trace``.

    Subclasses implement ``dump()``, ``get_stats()``, ``connect()`` and handle
    their notifications in ``_on_notification``.
    """

    EVENTS = event_names(TransportEvent)
    OBSERVER_EVENTS = event_names(TransportObserverEvent)

    def __init__(
        self,
        *,
        router: Router,
        transport_id: str,
        data: dict[str, Any],
        channel: Channel,
        app_data: dict[str, Any] | None,
    ) -> None:
        super().__init__()
        self.id = transport_id
        self.app_data: dict[str, Any] = app_data or {}
        self.observer = EventEmitter(self.OBSERVER_EVENTS)
        self._router = router
        self._data = data
        self._channel = channel
        self._closed = False
        self._producers: dict[str, Producer] = {}
        self._consumers: dict[str, Consumer] = {}
        self._data_producers: dict[str, DataProducer] = {}
        self._data_consumers: dict[str, DataConsumer] = {}
        self._cname_for_producers: str | None = None
        self._next_mid_for_consumers = 0
        self._sctp_stream_ids: bytearray | None = None
        self._next_sctp_stream_id = 0
        channel.on(transport_id, self._on_notification)

    # ------------------------------------------------------------ properties

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def producers(self) -> dict[str, Producer]:
        return dict(self._producers)

    @property
    def consumers(self) -> dict[str, Consumer]:
        return dict(self._consumers)

    @property
    def data_producers(self) -> dict[str, DataProducer]:
        return dict(self._data_producers)

    @property
    def data_consumers(self) -> dict[str, DataConsumer]:
        return dict(self._data_consumers)

    @property
    def sctp_parameters(self) -> dict[str, Any] | None:
        return self._data.get("sctpParameters")

    @property
    def sctp_state(self) -> str | None:
        return self._data.get("sctpState")

    # ----------------------------------------------------------------- close

    def _close_children(self, notify_router: bool) -> None:
        self._channel.remove_all_listeners(self.id)
        for producer in list(self._producers.values()):
            producer.transport_closed()
            if notify_router:
                self.emit("@producerclose", producer)
        self._producers.clear()
        for consumer in list(self._consumers.values()):
            consumer.transport_closed()
        self._consumers.clear()
        for data_producer in list(self._data_producers.values()):
            data_producer.transport_closed()
            if notify_router:
                self.emit("@dataproducerclose", data_producer)
        self._data_producers.clear()
        for data_consumer in list(self._data_consumers.values()):
            data_consumer.transport_closed()
        self._data_consumers.clear()
        if self._data.get("sctpState"):
            self._data["sctpState"] = "closed"

    def close(self) -> None:
        """Close the transport and, on both sides, its producers and consumers."""
        if self._closed:
            return
        self._closed = True
        self.send_close_request()
        self._close_children(notify_router=True)
        self.emit("@close")
        self.observer.emit("close")

    def send_close_request(self) -> None:
        """Ask the router to close this transport in the worker (fire and forget)."""
        body = fbs.CloseTransportRequestT()
        body.transportId = self.id
        self._channel.request_nowait(
            fbs.Method.ROUTER_CLOSE_TRANSPORT,
            self._router.id,
            fbs.RequestBody.Router_CloseTransportRequest,
            body,
        )

    def router_closed(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._close_children(notify_router=False)
        self.emit("routerclose")
        self.observer.emit("close")

    def listen_server_closed(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._close_children(notify_router=False)
        self.emit("@listenserverclose")
        self.emit("listenserverclose")
        self.observer.emit("close")

    def _check_open(self) -> None:
        if self._closed:
            raise InvalidStateError("Transport closed")

    # ----------------------------------------------------- abstract methods

    @staticmethod
    def parse_data(d: Any) -> dict[str, Any]:
        """What this kind of transport keeps of the worker's dump (``d``, its ``DumpResponse``):
        the SCTP parameters and state, plus each subclass's own fields."""
        return parse_base_transport_data(d.base)

    async def dump(self) -> dict[str, Any]:
        d = await self._channel.request(fbs.Method.TRANSPORT_DUMP, self.id)
        return {**parse_base_transport_dump(d.base), **self.parse_data(d)}

    async def get_stats(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    async def connect(self, **params: Any) -> None:
        raise NotImplementedError

    def _on_notification(self, event: int, body: Any) -> None:
        if event == fbs.Event.TRANSPORT_TRACE:
            trace = to_dict(body)
            trace["type"] = TRANSPORT_TRACE_EVENT_TYPES[body.type]
            trace["direction"] = "in" if body.direction == 0 else "out"
            self.emit("trace", trace)
            self.observer.emit("trace", trace)
        elif event == fbs.Event.TRANSPORT_SCTP_STATE_CHANGE:
            state = enum_to_str(fbs.SctpState, body.sctpState)
            self._data["sctpState"] = state
            self.emit("sctpstatechange", state)
            self.observer.emit("sctpstatechange", state)
        else:
            logger.error("ignoring unknown event %s", event)

    # -------------------------------------------------------------- bitrates

    async def set_max_incoming_bitrate(self, bitrate: int) -> None:
        body = fbs.SetMaxIncomingBitrateRequestT()
        body.maxIncomingBitrate = bitrate
        await self._channel.request(
            fbs.Method.TRANSPORT_SET_MAX_INCOMING_BITRATE,
            self.id,
            fbs.RequestBody.Transport_SetMaxIncomingBitrateRequest,
            body,
        )

    async def set_max_outgoing_bitrate(self, bitrate: int) -> None:
        body = fbs.SetMaxOutgoingBitrateRequestT()
        body.maxOutgoingBitrate = bitrate
        await self._channel.request(
            fbs.Method.TRANSPORT_SET_MAX_OUTGOING_BITRATE,
            self.id,
            fbs.RequestBody.Transport_SetMaxOutgoingBitrateRequest,
            body,
        )

    async def set_min_outgoing_bitrate(self, bitrate: int) -> None:
        body = fbs.SetMinOutgoingBitrateRequestT()
        body.minOutgoingBitrate = bitrate
        await self._channel.request(
            fbs.Method.TRANSPORT_SET_MIN_OUTGOING_BITRATE,
            self.id,
            fbs.RequestBody.Transport_SetMinOutgoingBitrateRequest,
            body,
        )

    async def enable_trace_event(self, types: list[str]) -> None:
        body = fbs.TransportEnableTraceEventRequestT()
        body.events = [TRANSPORT_TRACE_EVENT_TYPES.index(t) for t in types]
        await self._channel.request(
            fbs.Method.TRANSPORT_ENABLE_TRACE_EVENT,
            self.id,
            fbs.RequestBody.Transport_EnableTraceEventRequest,
            body,
        )

    # ------------------------------------------------------------------ media

    async def produce(
        self,
        kind: str,
        rtp_parameters: RtpParameters,
        *,
        id: str | None = None,
        paused: bool = False,
        key_frame_request_delay: int = 0,
        app_data: dict[str, Any] | None = None,
    ) -> Producer:
        """Create a Producer from the sender's ``rtpParameters`` (client JSON shape)."""
        self._check_open()
        if id and id in self._producers:
            raise ParameterError(f'a Producer with same id "{id}" already exists')
        if kind not in ("audio", "video"):
            raise ParameterError(f'invalid kind "{kind}"')
        params = ortc.clone(rtp_parameters)
        ortc.validate_rtp_parameters(params)
        if not params.get("encodings"):
            params["encodings"] = [{}]
        if self._sets_cname_for_producers():
            if not self._cname_for_producers:
                self._cname_for_producers = params["rtcp"].get("cname") or uuid.uuid4().hex[:8]
            params["rtcp"]["cname"] = self._cname_for_producers
        router_caps = self._router.rtp_capabilities
        rtp_mapping = ortc.get_producer_rtp_parameters_mapping(params, router_caps)
        consumable = ortc.get_consumable_rtp_parameters(kind, params, router_caps, rtp_mapping)
        producer_id = id or str(uuid.uuid4())
        body = fbs.ProduceRequestT()
        body.producerId = producer_id
        body.kind = fbs.MediaKind.AUDIO if kind == "audio" else fbs.MediaKind.VIDEO
        body.rtpParameters = serialize_rtp_parameters(params)
        body.rtpMapping = serialize_rtp_mapping(rtp_mapping)
        body.keyFrameRequestDelay = key_frame_request_delay
        body.paused = paused
        response = await self._channel.request(
            fbs.Method.TRANSPORT_PRODUCE, self.id, fbs.RequestBody.Transport_ProduceRequest, body
        )
        producer = Producer(
            transport_id=self.id,
            producer_id=producer_id,
            kind=kind,
            rtp_parameters=params,
            producer_type=producer_type_from_fbs(response.type),
            consumable_rtp_parameters=consumable,
            channel=self._channel,
            app_data=app_data,
            paused=paused,
        )
        self._producers[producer_id] = producer

        def on_close() -> None:
            self._producers.pop(producer_id, None)
            self.emit("@producerclose", producer)

        producer.on("@close", on_close)
        self.emit("@newproducer", producer)
        self.observer.emit("newproducer", producer)
        return producer

    def _sets_cname_for_producers(self) -> bool:
        """Whether producers get the transport's CNAME (all but PipeTransport)."""
        return True

    async def consume(
        self,
        producer_id: str,
        rtp_capabilities: RtpCapabilities,
        *,
        paused: bool = False,
        mid: str | None = None,
        preferred_layers: dict[str, Any] | None = None,
        ignore_dtx: bool = False,
        enable_rtx: bool | None = None,
        pipe: bool = False,
        app_data: dict[str, Any] | None = None,
    ) -> Consumer:
        """Create a Consumer of ``producer_id`` for an endpoint with ``rtp_capabilities``."""
        self._check_open()
        if not producer_id or not isinstance(producer_id, str):
            raise ParameterError("missing producerId")
        if mid is not None and (not isinstance(mid, str) or not mid):
            raise ParameterError("if given, mid must be non empty string")
        caps = ortc.clone(rtp_capabilities)
        ortc.validate_rtp_capabilities(caps)
        producer = self._router.get_producer(producer_id)
        if producer is None:
            raise NotFoundError(f'Producer with id "{producer_id}" not found')
        if enable_rtx is None:
            enable_rtx = producer.kind == "video"
        rtp_parameters = ortc.get_consumer_rtp_parameters(
            producer.consumable_rtp_parameters, caps, pipe, enable_rtx
        )
        if not pipe:
            if mid:
                rtp_parameters["mid"] = mid
            else:
                rtp_parameters["mid"] = str(self._next_mid_for_consumers)
                self._next_mid_for_consumers += 1
                if self._next_mid_for_consumers == 100000000:
                    self._next_mid_for_consumers = 0
        return await self._consume(
            producer,
            rtp_parameters,
            consumer_type="pipe" if pipe else producer.type,
            paused=paused,
            preferred_layers=preferred_layers,
            ignore_dtx=ignore_dtx,
            app_data=app_data,
        )

    async def _consume(
        self,
        producer: Producer,
        rtp_parameters: RtpParameters,
        *,
        consumer_type: str,
        paused: bool = False,
        preferred_layers: dict[str, Any] | None = None,
        ignore_dtx: bool = False,
        app_data: dict[str, Any] | None = None,
    ) -> Consumer:
        consumer_id = str(uuid.uuid4())
        body = fbs.ConsumeRequestT()
        body.consumerId = consumer_id
        body.producerId = producer.id
        body.kind = fbs.MediaKind.AUDIO if producer.kind == "audio" else fbs.MediaKind.VIDEO
        body.rtpParameters = serialize_rtp_parameters(rtp_parameters)
        body.type = (
            fbs.RtpType.PIPE if consumer_type == "pipe" else producer_type_to_fbs(producer.type)
        )
        body.consumableRtpEncodings = serialize_rtp_encoding_parameters(
            producer.consumable_rtp_parameters.get("encodings")
        )
        body.paused = paused
        if preferred_layers:
            body.preferredLayers = fbs.ConsumerLayersT()
            body.preferredLayers.spatialLayer = preferred_layers["spatialLayer"]
            body.preferredLayers.temporalLayer = preferred_layers.get("temporalLayer")
        body.ignoreDtx = bool(ignore_dtx)
        status = await self._channel.request(
            fbs.Method.TRANSPORT_CONSUME, self.id, fbs.RequestBody.Transport_ConsumeRequest, body
        )
        consumer = Consumer(
            transport_id=self.id,
            consumer_id=consumer_id,
            producer_id=producer.id,
            kind=producer.kind,
            rtp_parameters=rtp_parameters,
            consumer_type=consumer_type,
            channel=self._channel,
            app_data=app_data,
            paused=status.paused,
            producer_paused=status.producerPaused,
            score=to_dict(status.score) if status.score is not None else None,
            preferred_layers=parse_consumer_layers(status.preferredLayers),
        )
        self._consumers[consumer_id] = consumer
        consumer.on("@close", lambda: self._consumers.pop(consumer_id, None))
        consumer.on("@producerclose", lambda: self._consumers.pop(consumer_id, None))
        self.observer.emit("newconsumer", consumer)
        return consumer

    # ------------------------------------------------------------------- data

    def _data_type(self) -> str:
        """``"sctp"`` for every transport but DirectTransport (``"direct"``)."""
        return "sctp"

    async def produce_data(
        self,
        *,
        sctp_stream_parameters: dict[str, Any] | None = None,
        label: str = "",
        protocol: str = "",
        id: str | None = None,
        paused: bool = False,
        app_data: dict[str, Any] | None = None,
    ) -> DataProducer:
        self._check_open()
        if id and id in self._data_producers:
            raise ParameterError(f'a DataProducer with same id "{id}" already exists')
        data_type = self._data_type()
        params = ortc.clone(sctp_stream_parameters)
        if data_type == "sctp":
            if params is None:
                raise ParameterError("missing sctpStreamParameters")
            ortc.validate_sctp_stream_parameters(params)
        else:
            params = None
        data_producer_id = id or str(uuid.uuid4())
        body = fbs.ProduceDataRequestT()
        body.dataProducerId = data_producer_id
        body.type = (
            fbs.DataProducerType.SCTP if data_type == "sctp" else (fbs.DataProducerType.DIRECT)
        )
        if params is not None:
            body.sctpStreamParameters = serialize_sctp_stream_parameters(params)
        body.label = label
        body.protocol = protocol
        body.paused = paused
        dump = parse_data_dump(
            await self._channel.request(
                fbs.Method.TRANSPORT_PRODUCE_DATA,
                self.id,
                fbs.RequestBody.Transport_ProduceDataRequest,
                body,
            )
        )
        data_producer = DataProducer(
            transport_id=self.id,
            data_producer_id=data_producer_id,
            dump=dump,
            channel=self._channel,
            paused=paused,
            app_data=app_data,
        )
        self._data_producers[data_producer_id] = data_producer

        def on_close() -> None:
            self._data_producers.pop(data_producer_id, None)
            self.emit("@dataproducerclose", data_producer)

        data_producer.on("@close", on_close)
        self.emit("@newdataproducer", data_producer)
        self.observer.emit("newdataproducer", data_producer)
        return data_producer

    async def consume_data(
        self,
        data_producer_id: str,
        *,
        ordered: bool | None = None,
        max_packet_life_time: int | None = None,
        max_retransmits: int | None = None,
        paused: bool = False,
        subchannels: list[int] | None = None,
        app_data: dict[str, Any] | None = None,
    ) -> DataConsumer:
        self._check_open()
        data_producer = self._router.get_data_producer(data_producer_id)
        if data_producer is None:
            raise NotFoundError(f'DataProducer with id "{data_producer_id}" not found')
        data_type = self._data_type()
        params: dict[str, Any] | None = None
        stream_id: int | None = None
        if data_type == "sctp":
            params = ortc.clone(data_producer.sctp_stream_parameters) or {}
            if ordered is not None:
                params["ordered"] = ordered
            if max_packet_life_time is not None:
                params["maxPacketLifeTime"] = max_packet_life_time
            if max_retransmits is not None:
                params["maxRetransmits"] = max_retransmits
            stream_id = self._get_next_sctp_stream_id()
            params["streamId"] = stream_id
        data_consumer_id = str(uuid.uuid4())
        body = fbs.ConsumeDataRequestT()
        body.dataConsumerId = data_consumer_id
        body.dataProducerId = data_producer_id
        body.type = (
            fbs.DataProducerType.SCTP if data_type == "sctp" else (fbs.DataProducerType.DIRECT)
        )
        if params is not None:
            body.sctpStreamParameters = serialize_sctp_stream_parameters(params)
        body.label = data_producer.label
        body.protocol = data_producer.protocol
        body.paused = paused
        body.subchannels = list(subchannels or [])
        try:
            response = await self._channel.request(
                fbs.Method.TRANSPORT_CONSUME_DATA,
                self.id,
                fbs.RequestBody.Transport_ConsumeDataRequest,
                body,
            )
        except Exception:
            self._release_sctp_stream_id(stream_id)
            raise
        data_consumer = DataConsumer(
            transport_id=self.id,
            data_consumer_id=data_consumer_id,
            dump=DataConsumer.parse_dump(response),
            channel=self._channel,
            app_data=app_data,
        )
        self._data_consumers[data_consumer_id] = data_consumer

        def on_close() -> None:
            self._data_consumers.pop(data_consumer_id, None)
            self._release_sctp_stream_id(stream_id)

        data_consumer.on("@close", on_close)
        data_consumer.on("@dataproducerclose", on_close)
        self.observer.emit("newdataconsumer", data_consumer)
        return data_consumer

    def _get_next_sctp_stream_id(self) -> int:
        sctp = self._data.get("sctpParameters")
        if not sctp or not isinstance(sctp.get("MIS"), int):
            raise ParameterError("missing sctpParameters.MIS")
        if self._sctp_stream_ids is None:
            self._sctp_stream_ids = bytearray(sctp["MIS"])
        ids = self._sctp_stream_ids
        for idx in range(len(ids)):
            stream_id = (self._next_sctp_stream_id + idx) % len(ids)
            if not ids[stream_id]:
                self._next_sctp_stream_id = stream_id + 1
                ids[stream_id] = 1
                return stream_id
        raise RuntimeError("no sctpStreamId available")

    def _release_sctp_stream_id(self, stream_id: int | None) -> None:
        if stream_id is not None and self._sctp_stream_ids is not None:
            self._sctp_stream_ids[stream_id] = 0
