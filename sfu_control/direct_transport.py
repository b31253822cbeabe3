"""DirectTransport: RTP / data injected and received through the channel itself."""

from __future__ import annotations

from typing import Any, Literal

from .errors import UnsupportedError
from .events import event_names
from .transport import Transport, TransportEvent, TransportObserverEvent
from .transport_data import parse_base_transport_stats
from .wire import fbs

DirectTransportEvent = Literal[TransportEvent, "rtcp"]
DirectTransportObserverEvent = Literal[TransportObserverEvent]


class DirectTransport(Transport[DirectTransportEvent]):
    """Events (besides Transport's): ``rtcp`` (bytes)."""

    EVENTS = event_names(DirectTransportEvent)
    OBSERVER_EVENTS = event_names(DirectTransportObserverEvent)

    def _data_type(self) -> str:
        return "direct"

    async def get_stats(self) -> list[dict[str, Any]]:
        d = await self._channel.request(fbs.Method.TRANSPORT_GET_STATS, self.id)
        return [{**parse_base_transport_stats(d.base), "type": "direct-transport"}]

    async def connect(self, **params: Any) -> None:
        """Nothing to connect: a DirectTransport has no network side."""

    async def set_max_incoming_bitrate(self, bitrate: int) -> None:
        raise UnsupportedError("set_max_incoming_bitrate() not implemented in DirectTransport")

    async def set_max_outgoing_bitrate(self, bitrate: int) -> None:
        raise UnsupportedError("set_max_outgoing_bitrate() not implemented in DirectTransport")

    async def set_min_outgoing_bitrate(self, bitrate: int) -> None:
        raise UnsupportedError("set_min_outgoing_bitrate() not implemented in DirectTransport")

    def send_rtcp(self, rtcp_packet: bytes) -> None:
        body = fbs.SendRtcpNotificationT()
        body.data = list(rtcp_packet)
        self._channel.notify(
            fbs.Event.TRANSPORT_SEND_RTCP,
            self.id,
            fbs.NotificationBody.Transport_SendRtcpNotification,
            body,
        )

    def _on_notification(self, event: int, body: Any) -> None:
        if event == fbs.Event.DIRECTTRANSPORT_RTCP:
            if not self.closed:
                self.emit("rtcp", bytes(body.data))
        else:
            super()._on_notification(event, body)
