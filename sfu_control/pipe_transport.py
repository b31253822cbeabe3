"""PipeTransport: RTP between two routers, possibly on two workers (``PipeTransport.ts``)."""

from __future__ import annotations

from typing import Any, Literal

from . import ortc
from .consumer import Consumer
from .errors import NotFoundError
from .events import event_names
from .srtp_parameters import SrtpParameters, parse_srtp_parameters, serialize_srtp_parameters
from .transport import Transport, TransportEvent, TransportObserverEvent
from .transport_data import parse_base_transport_data, parse_base_transport_stats, parse_tuple
from .wire import fbs


def parse_pipe_transport_data(d: Any) -> dict[str, Any]:
    """What a PipeTransport keeps of the worker's dump when it is created."""
    return {
        **parse_base_transport_data(d.base),
        "tuple": parse_tuple(d.tuple),
        "rtx": d.rtx,
        "srtpParameters": (
            parse_srtp_parameters(d.srtpParameters) if d.srtpParameters is not None else None
        ),
    }


PipeTransportEvent = Literal[TransportEvent]
PipeTransportObserverEvent = Literal[TransportObserverEvent]


class PipeTransport(Transport[PipeTransportEvent]):
    """Events (besides Transport's): ``sctpstatechange``."""

    EVENTS = event_names(PipeTransportEvent)
    OBSERVER_EVENTS = event_names(PipeTransportObserverEvent)

    parse_data = staticmethod(parse_pipe_transport_data)

    @property
    def tuple(self) -> dict[str, Any]:
        return dict(self._data["tuple"])

    @property
    def srtp_parameters(self) -> dict[str, Any] | None:
        return self._data.get("srtpParameters")

    def _sets_cname_for_producers(self) -> bool:
        return False

    async def get_stats(self) -> list[dict[str, Any]]:
        d = await self._channel.request(fbs.Method.TRANSPORT_GET_STATS, self.id)
        return [
            {
                **parse_base_transport_stats(d.base),
                "type": "pipe-transport",
                "tuple": parse_tuple(d.tuple),
            }
        ]

    async def connect(  # type: ignore[override]
        self, ip: str, port: int, srtp_parameters: SrtpParameters | None = None
    ) -> None:
        body = fbs.PipeConnectRequestT()
        body.ip = ip
        body.port = port
        if srtp_parameters:
            body.srtpParameters = serialize_srtp_parameters(srtp_parameters)
        d = await self._channel.request(
            fbs.Method.PIPETRANSPORT_CONNECT,
            self.id,
            fbs.RequestBody.PipeTransport_ConnectRequest,
            body,
        )
        if d.tuple is not None:
            self._data["tuple"] = parse_tuple(d.tuple)

    async def consume(  # type: ignore[override]
        self, producer_id: str, *, app_data: dict[str, Any] | None = None
    ) -> Consumer:
        """Pipe consumer of a producer of this router (RTP goes to the other router)."""
        self._check_open()
        producer = self._router.get_producer(producer_id)
        if producer is None:
            raise NotFoundError(f'Producer with id "{producer_id}" not found')
        rtp_parameters = ortc.get_pipe_consumer_rtp_parameters(
            producer.consumable_rtp_parameters, bool(self._data.get("rtx"))
        )
        return await self._consume(
            producer, rtp_parameters, consumer_type="pipe", app_data=app_data
        )
