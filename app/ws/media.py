"""Media signalling on the participant socket (mediasoup-demo's protoo requests).

Every request acts on the caller's own consultation room and the caller's own transports,
producers and consumers: an id of somebody else's object is simply "not found".

The room lives on the consultation's media home (``app.services.media_homes``): a request on
a socket of another instance is forwarded there (``app.realtime.relay``), and the home serves
it (``serve``) for the socket's stand-in.
"""

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from app.errors import Refused
from app.media.room import MediaError, MediaPeer, Room
from app.realtime.dispatch import Handler, unknown_method
from app.realtime.peer import Peer
from app.runtime.state import state
from app.services.ice_servers import ice_servers
from app.ws.app_data import producer_app_data
from sfu_control import CodecError, InvalidStateError, ParameterError, UnsupportedError, WorkerError

# mediasoup's floor for a transport's outgoing cap, and a ceiling well above any consultation.
MIN_RECEIVE_BITRATE = 30_000
MAX_RECEIVE_BITRATE = 100_000_000

MediaHandler = Callable[[Room, MediaPeer, dict[str, Any]], Awaitable[Any]]
# Refusals whose reason the client may read: ours, and sfu_control's errors of bad
# input (ParameterError, NotFoundError), of capability, state, wire range and the
# worker's refusal. Any other exception is a bug of ours, logged as an internal error.
_CLIENT_ERRORS = (
    MediaError,
    ParameterError,
    UnsupportedError,
    InvalidStateError,
    CodecError,
    WorkerError,
)


def _media_requests(handlers: dict[str, MediaHandler]) -> dict[str, Handler]:
    return {name: _media_request(name, handler) for name, handler in handlers.items()}


def _media_request(name: str, handler: MediaHandler) -> Handler:
    """A socket handler that serves ``handler`` on the consultation's media home: here, with
    the peer's room and media state (its failures refused with the request's name), or there,
    through the relay."""

    @wraps(handler)
    async def wrapper(peer: Peer, data: dict[str, Any]) -> Any:
        hocovisio = state()
        if not peer.remote:
            home = await hocovisio.homes.home(peer.onetoone_id, hocovisio.instance.id)
            if home != hocovisio.instance.id:
                return await hocovisio.relay.forward(home, peer.socket_id, peer, name, data)
        room = await hocovisio.media.room(peer.onetoone_id)
        try:
            return await handler(room, room.media_peer(peer), data)
        except _CLIENT_ERRORS as error:
            raise Refused(400, f"{name}: {error}") from None

    return wrapper


async def serve(peer: Peer, method: str, data: dict[str, Any]) -> Any:
    """Serve a media request relayed from the instance of ``peer``'s socket."""
    handler = HANDLERS.get(method)
    if handler is None:
        raise unknown_method(method)
    return await handler(peer, data)


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _object(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise MediaError(f"{key} must be an object")
    return value


async def get_router_rtp_capabilities(room: Room, _: MediaPeer, __: dict[str, Any]) -> Any:
    return room.router.rtp_capabilities


async def create_webrtc_transport(room: Room, me: MediaPeer, data: dict[str, Any]) -> Any:
    with me.slot("transports"):
        transport = await state().media.create_webrtc_transport(
            room,
            producing=data.get("producing") is True,
            consuming=data.get("consuming") is True,
            force_tcp=data.get("forceTcp") is True,
        )
        me.transports[transport.id] = transport
    transport.on("routerclose", lambda: me.transports.pop(transport.id, None))
    room.watch_transport(me, transport)
    return {
        "id": transport.id,
        "iceParameters": transport.ice_parameters,
        "iceCandidates": transport.ice_candidates,
        "dtlsParameters": transport.dtls_parameters,
        "sctpParameters": transport.sctp_parameters,
        "iceServers": ice_servers(state().settings, me.peer.session_id),
    }


async def get_ice_servers(room: Room, me: MediaPeer, _: dict[str, Any]) -> Any:
    """Fresh TURN credentials, for a client whose transports outlive the first ones."""
    return {"iceServers": ice_servers(state().settings, me.peer.session_id)}


async def connect_webrtc_transport(room: Room, me: MediaPeer, data: dict[str, Any]) -> Any:
    await me.transport(data.get("transportId")).connect(
        dtls_parameters=_object(data, "dtlsParameters")
    )


async def restart_ice(room: Room, me: MediaPeer, data: dict[str, Any]) -> Any:
    return await me.transport(data.get("transportId")).restart_ice()


async def get_transport_stats(room: Room, me: MediaPeer, data: dict[str, Any]) -> Any:
    return await me.transport(data.get("transportId")).get_stats()


async def set_max_receive_bitrate(room: Room, me: MediaPeer, data: dict[str, Any]) -> Any:
    """Cap what the SFU sends this participant on one of its transports (a metered or weak
    connection); ``0`` lifts the cap. Simulcast consumers then drop to the layers that fit."""
    bitrate = data.get("bitrate")
    if (
        not isinstance(bitrate, int)
        or isinstance(bitrate, bool)
        or not (bitrate == 0 or MIN_RECEIVE_BITRATE <= bitrate <= MAX_RECEIVE_BITRATE)
    ):
        raise MediaError(
            f"bitrate must be 0 or an integer from {MIN_RECEIVE_BITRATE} to {MAX_RECEIVE_BITRATE}"
        )
    await me.transport(data.get("transportId")).set_max_outgoing_bitrate(bitrate)


async def join(room: Room, me: MediaPeer, data: dict[str, Any]) -> Any:
    await room.join(me, _object(data, "rtpCapabilities"))
    others = room.others(me)
    return {"peers": [{"id": p.peer.session_id, "role": p.peer.role} for p in others]}


async def produce(room: Room, me: MediaPeer, data: dict[str, Any]) -> Any:
    if not me.joined:
        raise MediaError("join first")
    kind = data.get("kind")
    if kind not in ("audio", "video"):
        raise MediaError("kind must be audio or video")
    app_data = await producer_app_data(state().db, me.peer, kind, data.get("appData"))
    transport = me.transport(data.get("transportId"))
    producer = await room.produce(me, transport, kind, _object(data, "rtpParameters"), app_data)
    return {"id": producer.id}


async def close_producer(room: Room, me: MediaPeer, data: dict[str, Any]) -> Any:
    room.close_producer(me, me.producer(data.get("producerId")))


async def pause_producer(room: Room, me: MediaPeer, data: dict[str, Any]) -> Any:
    await me.producer(data.get("producerId")).pause()


async def resume_producer(room: Room, me: MediaPeer, data: dict[str, Any]) -> Any:
    await me.producer(data.get("producerId")).resume()


async def get_producer_stats(room: Room, me: MediaPeer, data: dict[str, Any]) -> Any:
    return await me.producer(data.get("producerId")).get_stats()


async def pause_consumer(room: Room, me: MediaPeer, data: dict[str, Any]) -> Any:
    await me.consumer(data.get("consumerId")).pause()


async def resume_consumer(room: Room, me: MediaPeer, data: dict[str, Any]) -> Any:
    await me.consumer(data.get("consumerId")).resume()


async def get_consumer_stats(room: Room, me: MediaPeer, data: dict[str, Any]) -> Any:
    return await me.consumer(data.get("consumerId")).get_stats()


async def request_consumer_key_frame(room: Room, me: MediaPeer, data: dict[str, Any]) -> Any:
    await me.consumer(data.get("consumerId")).request_key_frame()


async def set_consumer_preferred_layers(room: Room, me: MediaPeer, data: dict[str, Any]) -> Any:
    spatial, temporal = data.get("spatialLayer"), data.get("temporalLayer")
    if not _integer(spatial) or (temporal is not None and not _integer(temporal)):
        raise MediaError("spatialLayer and temporalLayer must be integers")
    await me.consumer(data.get("consumerId")).set_preferred_layers(spatial, temporal)


HANDLERS: dict[str, Handler] = _media_requests(
    {
        "getRouterRtpCapabilities": get_router_rtp_capabilities,
        "createWebRtcTransport": create_webrtc_transport,
        "connectWebRtcTransport": connect_webrtc_transport,
        "restartIce": restart_ice,
        "getIceServers": get_ice_servers,
        "getTransportStats": get_transport_stats,
        "setMaxReceiveBitrate": set_max_receive_bitrate,
        "join": join,
        "produce": produce,
        "closeProducer": close_producer,
        "pauseProducer": pause_producer,
        "resumeProducer": resume_producer,
        "getProducerStats": get_producer_stats,
        "pauseConsumer": pause_consumer,
        "resumeConsumer": resume_consumer,
        "getConsumerStats": get_consumer_stats,
        "requestConsumerKeyFrame": request_consumer_key_frame,
        "setConsumerPreferredLayers": set_consumer_preferred_layers,
    }
)
