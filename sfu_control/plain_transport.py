"""PlainTransport: plain RTP/RTCP over UDP, optionally SRTP (port of ``PlainTransport.ts``)."""

from __future__ import annotations

from typing import Any, Literal

from .events import event_names
from .srtp_parameters import SrtpParameters, parse_srtp_parameters, serialize_srtp_parameters
from .transport import Transport, TransportEvent, TransportObserverEvent
from .transport_data import parse_base_transport_data, parse_base_transport_stats, parse_tuple
from .wire import fbs


def parse_plain_transport_data(d: Any) -> dict[str, Any]:
    """What a PlainTransport keeps of the worker's dump when it is created."""
    return {
        **parse_base_transport_data(d.base),
        "rtcpMux": d.rtcpMux,
        "comedia": d.comedia,
        "tuple": parse_tuple(d.tuple),
        "rtcpTuple": parse_tuple(d.rtcpTuple) if d.rtcpTuple is not None else None,
        "srtpParameters": (
            parse_srtp_parameters(d.srtpParameters) if d.srtpParameters is not None else None
        ),
    }


PlainTransportEvent = Literal[TransportEvent, "tuple", "rtcptuple"]
PlainTransportObserverEvent = Literal[TransportObserverEvent, "tuple", "rtcptuple"]


class PlainTransport(Transport[PlainTransportEvent]):
    """Events (besides Transport's): ``tuple``, ``rtcptuple``, ``sctpstatechange``."""

    EVENTS = event_names(PlainTransportEvent)
    OBSERVER_EVENTS = event_names(PlainTransportObserverEvent)

    parse_data = staticmethod(parse_plain_transport_data)

    @property
    def tuple(self) -> dict[str, Any]:
        """Local (and, once known, remote) IP/port of the RTP socket."""
        return dict(self._data["tuple"])

    @property
    def rtcp_tuple(self) -> dict[str, Any] | None:
        return self._data.get("rtcpTuple")

    @property
    def rtcp_mux(self) -> bool:
        return bool(self._data["rtcpMux"])

    @property
    def comedia(self) -> bool:
        return bool(self._data["comedia"])

    @property
    def srtp_parameters(self) -> dict[str, Any] | None:
        return self._data.get("srtpParameters")

    async def get_stats(self) -> list[dict[str, Any]]:
        d = await self._channel.request(fbs.Method.TRANSPORT_GET_STATS, self.id)
        stats = {
            **parse_base_transport_stats(d.base),
            "type": "plain-rtp-transport",
            "rtcpMux": d.rtcpMux,
            "comedia": d.comedia,
            "tuple": parse_tuple(d.tuple),
        }
        if d.rtcpTuple is not None:
            stats["rtcpTuple"] = parse_tuple(d.rtcpTuple)
        return [stats]

    async def connect(  # type: ignore[override]
        self,
        ip: str | None = None,
        port: int | None = None,
        rtcp_port: int | None = None,
        srtp_parameters: SrtpParameters | None = None,
    ) -> None:
        """Set the remote endpoint (not needed with ``comedia``)."""
        body = fbs.PlainConnectRequestT()
        body.ip = ip
        body.port = port
        body.rtcpPort = rtcp_port
        if srtp_parameters:
            body.srtpParameters = serialize_srtp_parameters(srtp_parameters)
        d = await self._channel.request(
            fbs.Method.PLAINTRANSPORT_CONNECT,
            self.id,
            fbs.RequestBody.PlainTransport_ConnectRequest,
            body,
        )
        if d.tuple is not None:
            self._data["tuple"] = parse_tuple(d.tuple)
        if d.rtcpTuple is not None:
            self._data["rtcpTuple"] = parse_tuple(d.rtcpTuple)
        if d.srtpParameters is not None:
            self._data["srtpParameters"] = parse_srtp_parameters(d.srtpParameters)

    def _on_notification(self, event: int, body: Any) -> None:
        if event == fbs.Event.PLAINTRANSPORT_TUPLE:
            self._data["tuple"] = parse_tuple(body.tuple)
            self.emit("tuple", self._data["tuple"])
            self.observer.emit("tuple", self._data["tuple"])
        elif event == fbs.Event.PLAINTRANSPORT_RTCP_TUPLE:
            self._data["rtcpTuple"] = parse_tuple(body.tuple)
            self.emit("rtcptuple", self._data["rtcpTuple"])
            self.observer.emit("rtcptuple", self._data["rtcpTuple"])
        else:
            super()._on_notification(event, body)
