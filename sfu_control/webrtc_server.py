"""WebRtcServer: one UDP/TCP listening port shared by many WebRtcTransports."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from .events import EventEmitter, event_names
from .wire import fbs
from .wire.channel import Channel
from .wire.values import s

if TYPE_CHECKING:
    from .webrtc_transport import WebRtcTransport


WebRtcServerEvent = Literal["@close", "workerclose"]
WebRtcServerObserverEvent = Literal["close", "webrtctransporthandled", "webrtctransportunhandled"]


class WebRtcServer(EventEmitter[WebRtcServerEvent]):
    """Events: ``workerclose``. ``observer``: ``close``, ``webrtctransporthandled``,
    ``webrtctransportunhandled``."""

    EVENTS = event_names(WebRtcServerEvent)
    OBSERVER_EVENTS = event_names(WebRtcServerObserverEvent)

    def __init__(self, server_id: str, channel: Channel, app_data: dict[str, Any] | None) -> None:
        super().__init__()
        self.id = server_id
        self.app_data: dict[str, Any] = app_data or {}
        self.observer = EventEmitter(self.OBSERVER_EVENTS)
        self._channel = channel
        self._closed = False
        self._transports: dict[str, WebRtcTransport] = {}

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def webrtc_transports(self) -> dict[str, WebRtcTransport]:
        return dict(self._transports)

    def close(self) -> None:
        """Close the server; its WebRtcTransports are closed by the worker too."""
        if self._closed:
            return
        self._closed = True
        # The 3.13.16 worker (with Debian's abseil) aborts when a WebRtcServer
        # is closed while WebRtcTransports still use it (it mutates the set
        # it iterates), so close those transports in the worker first.
        for transport in self._transports.values():
            transport.send_close_request()
        body = fbs.CloseWebRtcServerRequestT()
        body.webRtcServerId = self.id
        self._channel.request_nowait(
            fbs.Method.WORKER_WEBRTCSERVER_CLOSE,
            "",
            fbs.RequestBody.Worker_CloseWebRtcServerRequest,
            body,
        )
        for transport in list(self._transports.values()):
            transport.listen_server_closed()
            self.observer.emit("webrtctransportunhandled", transport)
        self._transports.clear()
        self.emit("@close")
        self.observer.emit("close")

    def worker_closed(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._transports.clear()
        self.emit("workerclose")
        self.observer.emit("close")

    async def dump(self) -> dict[str, Any]:
        d = await self._channel.request(fbs.Method.WEBRTCSERVER_DUMP, self.id)
        return {
            "id": s(d.id),
            "udpSockets": [{"ip": s(x.ip), "port": x.port} for x in d.udpSockets or []],
            "tcpServers": [{"ip": s(x.ip), "port": x.port} for x in d.tcpServers or []],
            "webRtcTransportIds": [s(x) for x in d.webRtcTransportIds or []],
            "localIceUsernameFragments": [
                {
                    "localIceUsernameFragment": s(x.localIceUsernameFragment),
                    "webRtcTransportId": s(x.webRtcTransportId),
                }
                for x in d.localIceUsernameFragments or []
            ],
            "tupleHashes": [
                {"tupleHash": x.tupleHash, "webRtcTransportId": s(x.webRtcTransportId)}
                for x in d.tupleHashes or []
            ],
        }

    def handle_webrtc_transport(self, transport: WebRtcTransport) -> None:
        self._transports[transport.id] = transport
        self.observer.emit("webrtctransporthandled", transport)

        def on_close() -> None:
            self._transports.pop(transport.id, None)
            self.observer.emit("webrtctransportunhandled", transport)

        transport.on("@close", on_close)
