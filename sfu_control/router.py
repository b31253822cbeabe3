"""Router: a media room inside a worker (port of ``Router.ts``)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from . import ortc
from .data_producer import DataProducer
from .direct_transport import DirectTransport
from .errors import InvalidStateError, NotFoundError, ParameterError
from .events import EventEmitter, event_names
from .pipe_transport import PipeTransport
from .plain_transport import PlainTransport
from .producer import Producer
from .rtp_observer import ActiveSpeakerObserver, AudioLevelObserver, RtpObserver
from .rtp_parameters import RtpCapabilities
from .srtp_parameters import crypto_suite_to_fbs
from .transport import Transport
from .transport_data import TransportListenInfo, listen_info_to_fbs, transport_options
from .webrtc_server import WebRtcServer
from .webrtc_transport import WebRtcTransport
from .wire import fbs
from .wire.channel import Channel
from .wire.values import s

TransportT = TypeVar("TransportT", bound=Transport)

if TYPE_CHECKING:
    from .consumer import Consumer
    from .worker import Worker

logger = logging.getLogger("sfu_control.router")


RouterEvent = Literal["@close", "workerclose"]
RouterObserverEvent = Literal["close", "newtransport", "newrtpobserver"]


class Router(EventEmitter[RouterEvent]):
    """Events: ``workerclose``. ``observer``: ``close``, ``newtransport``,
    ``newrtpobserver``."""

    EVENTS = event_names(RouterEvent)
    OBSERVER_EVENTS = event_names(RouterObserverEvent)

    def __init__(
        self,
        router_id: str,
        rtp_capabilities: RtpCapabilities,
        channel: Channel,
        app_data: dict[str, Any] | None,
        worker: Worker,
    ) -> None:
        super().__init__()
        self.id = router_id
        self.app_data: dict[str, Any] = app_data or {}
        self.observer = EventEmitter(self.OBSERVER_EVENTS)
        self.worker = worker
        self._rtp_capabilities = rtp_capabilities
        self._channel = channel
        self._closed = False
        self._transports: dict[str, Transport] = {}
        self._producers: dict[str, Producer] = {}
        self._rtp_observers: dict[str, RtpObserver] = {}
        self._data_producers: dict[str, DataProducer] = {}
        self._pipe_transport_pairs: dict[str, asyncio.Future[dict[str, PipeTransport]]] = {}

    # ------------------------------------------------------------ properties

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def rtp_capabilities(self) -> RtpCapabilities:
        """Router RTP capabilities (mediasoup-client ``routerRtpCapabilities``)."""
        return self._rtp_capabilities

    @property
    def transports(self) -> dict[str, Transport]:
        return dict(self._transports)

    @property
    def producers(self) -> dict[str, Producer]:
        return dict(self._producers)

    @property
    def rtp_observers(self) -> dict[str, RtpObserver]:
        return dict(self._rtp_observers)

    def get_producer(self, producer_id: str) -> Producer | None:
        return self._producers.get(producer_id)

    def get_data_producer(self, data_producer_id: str) -> DataProducer | None:
        return self._data_producers.get(data_producer_id)

    # ----------------------------------------------------------------- close

    def _close_children(self) -> None:
        for transport in list(self._transports.values()):
            transport.router_closed()
        self._transports.clear()
        self._producers.clear()
        for rtp_observer in list(self._rtp_observers.values()):
            rtp_observer.router_closed()
        self._rtp_observers.clear()
        self._data_producers.clear()

    def close(self) -> None:
        """Close the router, its transports, producers, consumers and observers."""
        if self._closed:
            return
        self._closed = True
        body = fbs.CloseRouterRequestT()
        body.routerId = self.id
        self._channel.request_nowait(
            fbs.Method.WORKER_CLOSE_ROUTER, "", fbs.RequestBody.Worker_CloseRouterRequest, body
        )
        self._close_children()
        self.emit("@close")
        self.observer.emit("close")

    def worker_closed(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._close_children()
        self.emit("workerclose")
        self.observer.emit("close")

    async def dump(self) -> dict[str, Any]:
        d = await self._channel.request(fbs.Method.ROUTER_DUMP, self.id)

        def string_arrays(entries: Any) -> dict[str, list[str]]:
            return {s(e.key) or "": [s(v) or "" for v in e.values or []] for e in entries or []}

        def strings(entries: Any) -> dict[str, str]:
            return {s(e.key) or "": s(e.value) or "" for e in entries or []}

        return {
            "id": s(d.id),
            "transportIds": [s(x) for x in d.transportIds or []],
            "rtpObserverIds": [s(x) for x in d.rtpObserverIds or []],
            "mapProducerIdConsumerIds": string_arrays(d.mapProducerIdConsumerIds),
            "mapConsumerIdProducerId": strings(d.mapConsumerIdProducerId),
            "mapProducerIdObserverIds": string_arrays(d.mapProducerIdObserverIds),
            "mapDataProducerIdDataConsumerIds": string_arrays(d.mapDataProducerIdDataConsumerIds),
            "mapDataConsumerIdDataProducerId": strings(d.mapDataConsumerIdDataProducerId),
        }

    # ------------------------------------------------------------ transports

    def _check_open(self) -> None:
        if self._closed:
            raise InvalidStateError("Router closed")

    async def _create_transport(
        self,
        method: int,
        body_type: int,
        body: Any,
        options: Any,
        transport_class: type[TransportT],
        app_data: dict[str, Any] | None,
    ) -> TransportT:
        """Ask the worker for a transport of any kind, and keep it as a child of this router."""
        transport_id = str(uuid.uuid4())
        body.transportId = transport_id
        body.options = options
        dump = await self._channel.request(method, self.id, body_type, body)
        transport = transport_class(
            router=self,
            transport_id=transport_id,
            data=transport_class.parse_data(dump),
            channel=self._channel,
            app_data=app_data,
        )
        self._add_transport(transport)
        return transport

    def _add_transport(self, transport: Transport) -> None:
        transport_id = transport.id
        self._transports[transport_id] = transport
        transport.on("@close", lambda: self._transports.pop(transport_id, None))
        transport.on("@listenserverclose", lambda: self._transports.pop(transport_id, None))
        transport.on("@newproducer", lambda p: self._producers.__setitem__(p.id, p))
        transport.on("@producerclose", lambda p: self._producers.pop(p.id, None))
        transport.on("@newdataproducer", lambda p: self._data_producers.__setitem__(p.id, p))
        transport.on("@dataproducerclose", lambda p: self._data_producers.pop(p.id, None))
        self.observer.emit("newtransport", transport)

    async def create_webrtc_transport(
        self,
        *,
        webrtc_server: WebRtcServer | None = None,
        listen_infos: list[TransportListenInfo] | None = None,
        enable_udp: bool = True,
        enable_tcp: bool | None = None,
        prefer_udp: bool = False,
        prefer_tcp: bool = False,
        initial_available_outgoing_bitrate: int = 600000,
        enable_sctp: bool = False,
        num_sctp_streams: dict[str, int] | None = None,
        max_sctp_message_size: int = 262144,
        sctp_send_buffer_size: int = 262144,
        app_data: dict[str, Any] | None = None,
    ) -> WebRtcTransport:
        """WebRtcTransport on a shared ``webrtc_server`` or on its own ``listen_infos``."""
        self._check_open()
        if (webrtc_server is None) == (listen_infos is None):
            raise ParameterError("exactly one of webrtc_server and listen_infos must be given")
        if enable_tcp is None:
            enable_tcp = webrtc_server is not None
        options = fbs.WebRtcTransportOptionsT()
        options.base = transport_options(
            initial_available_outgoing_bitrate=initial_available_outgoing_bitrate,
            enable_sctp=enable_sctp,
            num_sctp_streams=num_sctp_streams,
            max_sctp_message_size=max_sctp_message_size,
            sctp_send_buffer_size=sctp_send_buffer_size,
            is_data_channel=True,
        )
        if webrtc_server is not None:
            options.listenType = fbs.Listen.ListenServer
            options.listen = fbs.ListenServerT()
            options.listen.webRtcServerId = webrtc_server.id
        else:
            options.listenType = fbs.Listen.ListenIndividual
            options.listen = fbs.ListenIndividualT()
            options.listen.listenInfos = [listen_info_to_fbs(i) for i in listen_infos or []]
        options.enableUdp = enable_udp
        options.enableTcp = enable_tcp
        options.preferUdp = prefer_udp
        options.preferTcp = prefer_tcp
        method = (
            fbs.Method.ROUTER_CREATE_WEBRTCTRANSPORT_WITH_SERVER
            if webrtc_server is not None
            else fbs.Method.ROUTER_CREATE_WEBRTCTRANSPORT
        )
        transport = await self._create_transport(
            method,
            fbs.RequestBody.Router_CreateWebRtcTransportRequest,
            fbs.CreateWebRtcTransportRequestT(),
            options,
            WebRtcTransport,
            app_data,
        )
        if webrtc_server is not None:
            webrtc_server.handle_webrtc_transport(transport)
        return transport

    async def create_plain_transport(
        self,
        *,
        listen_info: TransportListenInfo,
        rtcp_listen_info: TransportListenInfo | None = None,
        rtcp_mux: bool = True,
        comedia: bool = False,
        enable_sctp: bool = False,
        num_sctp_streams: dict[str, int] | None = None,
        max_sctp_message_size: int = 262144,
        sctp_send_buffer_size: int = 262144,
        enable_srtp: bool = False,
        srtp_crypto_suite: str = "AES_CM_128_HMAC_SHA1_80",
        app_data: dict[str, Any] | None = None,
    ) -> PlainTransport:
        """Plain RTP transport; ``comedia`` learns the remote address from the first packet."""
        self._check_open()
        if rtcp_mux and rtcp_listen_info:
            logger.warning(
                "create_plain_transport() | ignoring rtcp_mux since rtcp_listen_info given"
            )
            rtcp_mux = False
        options = fbs.PlainTransportOptionsT()
        options.base = transport_options(
            enable_sctp=enable_sctp,
            num_sctp_streams=num_sctp_streams,
            max_sctp_message_size=max_sctp_message_size,
            sctp_send_buffer_size=sctp_send_buffer_size,
        )
        options.listenInfo = listen_info_to_fbs(listen_info)
        if rtcp_listen_info:
            options.rtcpListenInfo = listen_info_to_fbs(rtcp_listen_info)
        options.rtcpMux = rtcp_mux
        options.comedia = comedia
        options.enableSrtp = enable_srtp
        options.srtpCryptoSuite = crypto_suite_to_fbs(srtp_crypto_suite)
        return await self._create_transport(
            fbs.Method.ROUTER_CREATE_PLAINTRANSPORT,
            fbs.RequestBody.Router_CreatePlainTransportRequest,
            fbs.CreatePlainTransportRequestT(),
            options,
            PlainTransport,
            app_data,
        )

    async def create_pipe_transport(
        self,
        *,
        listen_info: TransportListenInfo,
        enable_sctp: bool = False,
        num_sctp_streams: dict[str, int] | None = None,
        max_sctp_message_size: int = 268435456,
        sctp_send_buffer_size: int = 268435456,
        enable_rtx: bool = False,
        enable_srtp: bool = False,
        app_data: dict[str, Any] | None = None,
    ) -> PipeTransport:
        self._check_open()
        options = fbs.PipeTransportOptionsT()
        options.base = transport_options(
            enable_sctp=enable_sctp,
            num_sctp_streams=num_sctp_streams,
            max_sctp_message_size=max_sctp_message_size,
            sctp_send_buffer_size=sctp_send_buffer_size,
        )
        options.listenInfo = listen_info_to_fbs(listen_info)
        options.enableRtx = enable_rtx
        options.enableSrtp = enable_srtp
        return await self._create_transport(
            fbs.Method.ROUTER_CREATE_PIPETRANSPORT,
            fbs.RequestBody.Router_CreatePipeTransportRequest,
            fbs.CreatePipeTransportRequestT(),
            options,
            PipeTransport,
            app_data,
        )

    async def create_direct_transport(
        self, *, max_message_size: int = 262144, app_data: dict[str, Any] | None = None
    ) -> DirectTransport:
        self._check_open()
        options = fbs.DirectTransportOptionsT()
        options.base = transport_options(direct=True, max_message_size=max_message_size)
        return await self._create_transport(
            fbs.Method.ROUTER_CREATE_DIRECTTRANSPORT,
            fbs.RequestBody.Router_CreateDirectTransportRequest,
            fbs.CreateDirectTransportRequestT(),
            options,
            DirectTransport,
            app_data,
        )

    # --------------------------------------------------------------- pipes

    async def pipe_to_router(
        self,
        producer_id: str,
        router: Router,
        *,
        listen_info: TransportListenInfo | None = None,
        enable_rtx: bool = False,
        enable_srtp: bool = False,
    ) -> tuple[Consumer, Producer]:
        """Make ``producer_id`` available in ``router`` (another worker's, typically).

        Returns the (pipe consumer here, pipe producer there) pair; one
        PipeTransport pair per router pair is created lazily and reused.
        """
        if router is self:
            raise ParameterError("cannot use this Router as destination")
        producer = self._producers.get(producer_id)
        if producer is None:
            raise NotFoundError(f'Producer with id "{producer_id}" not found')
        listen_info = listen_info or {"protocol": "udp", "ip": "127.0.0.1"}
        pair_future = self._pipe_transport_pairs.get(router.id)
        if pair_future is None:
            pair_future = asyncio.get_running_loop().create_future()
            self._pipe_transport_pairs[router.id] = pair_future
            router._pipe_transport_pairs[self.id] = pair_future
            try:
                local, remote = await asyncio.gather(
                    self.create_pipe_transport(
                        listen_info=listen_info, enable_rtx=enable_rtx, enable_srtp=enable_srtp
                    ),
                    router.create_pipe_transport(
                        listen_info=listen_info, enable_rtx=enable_rtx, enable_srtp=enable_srtp
                    ),
                )
                await asyncio.gather(
                    local.connect(
                        ip=remote.tuple["localIp"],
                        port=remote.tuple["localPort"],
                        srtp_parameters=remote.srtp_parameters,
                    ),
                    remote.connect(
                        ip=local.tuple["localIp"],
                        port=local.tuple["localPort"],
                        srtp_parameters=local.srtp_parameters,
                    ),
                )
            except BaseException as error:
                # Cancelled too: a pair left pending would hang every later call for it.
                self._pipe_transport_pairs.pop(router.id, None)
                router._pipe_transport_pairs.pop(self.id, None)
                if not isinstance(error, Exception):
                    error = InvalidStateError("creating the pipe transports was cancelled")
                pair_future.set_exception(error)
                pair_future.exception()  # mark retrieved: the caller gets it below
                raise

            def forget_pair() -> None:
                self._pipe_transport_pairs.pop(router.id, None)
                router._pipe_transport_pairs.pop(self.id, None)

            def on_local_close() -> None:
                remote.close()
                forget_pair()

            def on_remote_close() -> None:
                local.close()
                forget_pair()

            local.observer.on("close", on_local_close)
            remote.observer.on("close", on_remote_close)
            pair_future.set_result({self.id: local, router.id: remote})
        pair = await pair_future
        local, remote = pair[self.id], pair[router.id]

        pipe_consumer: Consumer | None = None
        pipe_producer: Producer | None = None
        try:
            pipe_consumer = await local.consume(producer_id)
            pipe_producer = await remote.produce(
                pipe_consumer.kind,
                pipe_consumer.rtp_parameters,
                id=producer.id,
                paused=pipe_consumer.producer_paused,
                app_data=producer.app_data,
            )
            if producer.closed:
                raise InvalidStateError("original Producer closed")
            if pipe_producer.paused != producer.paused:
                await (pipe_producer.pause() if producer.paused else pipe_producer.resume())
        except Exception:
            if pipe_consumer is not None:
                pipe_consumer.close()
            if pipe_producer is not None:
                pipe_producer.close()
            raise
        consumer, piped = pipe_consumer, pipe_producer
        consumer.observer.on("close", piped.close)
        consumer.observer.on("pause", piped.pause)
        consumer.observer.on("resume", piped.resume)
        piped.observer.on("close", consumer.close)
        return consumer, piped

    # ---------------------------------------------------------- observers

    async def create_active_speaker_observer(
        self, *, interval: int = 300, app_data: dict[str, Any] | None = None
    ) -> ActiveSpeakerObserver:
        self._check_open()
        observer_id = str(uuid.uuid4())
        body = fbs.CreateActiveSpeakerObserverRequestT()
        body.rtpObserverId = observer_id
        body.options = fbs.ActiveSpeakerObserverOptionsT()
        body.options.interval = interval
        await self._channel.request(
            fbs.Method.ROUTER_CREATE_ACTIVESPEAKEROBSERVER,
            self.id,
            fbs.RequestBody.Router_CreateActiveSpeakerObserverRequest,
            body,
        )
        observer = ActiveSpeakerObserver(
            self.id, observer_id, self._channel, app_data, self._producers.get
        )
        self._add_rtp_observer(observer)
        return observer

    async def create_audio_level_observer(
        self,
        *,
        max_entries: int = 1,
        threshold: int = -80,
        interval: int = 1000,
        app_data: dict[str, Any] | None = None,
    ) -> AudioLevelObserver:
        self._check_open()
        if max_entries <= 0:
            raise ParameterError("if given, maxEntries must be a positive number")
        if threshold < -127 or threshold > 0:
            raise ParameterError("if given, threshold must be a negative number greater than -127")
        observer_id = str(uuid.uuid4())
        body = fbs.CreateAudioLevelObserverRequestT()
        body.rtpObserverId = observer_id
        body.options = fbs.AudioLevelObserverOptionsT()
        body.options.maxEntries = max_entries
        body.options.threshold = threshold
        body.options.interval = interval
        await self._channel.request(
            fbs.Method.ROUTER_CREATE_AUDIOLEVELOBSERVER,
            self.id,
            fbs.RequestBody.Router_CreateAudioLevelObserverRequest,
            body,
        )
        observer = AudioLevelObserver(
            self.id, observer_id, self._channel, app_data, self._producers.get
        )
        self._add_rtp_observer(observer)
        return observer

    def _add_rtp_observer(self, observer: RtpObserver) -> None:
        observer_id = observer.id
        self._rtp_observers[observer_id] = observer
        observer.on("@close", lambda: self._rtp_observers.pop(observer_id, None))
        self.observer.emit("newrtpobserver", observer)

    def can_consume(self, producer_id: str, rtp_capabilities: RtpCapabilities) -> bool:
        """Whether an endpoint with ``rtp_capabilities`` can consume ``producer_id``."""
        producer = self._producers.get(producer_id)
        if producer is None:
            logger.error('can_consume() | Producer with id "%s" not found', producer_id)
            return False
        try:
            return ortc.can_consume(
                producer.consumable_rtp_parameters, ortc.clone(rtp_capabilities)
            )
        except Exception as error:
            logger.error("can_consume() | unexpected error: %s", error)
            return False
