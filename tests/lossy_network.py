"""A lossy network under an aiortc client: a share of the RTP packets that reach its
receiving transport is dropped, as on a poor mobile connection. The drop happens after
SRTP, where the client counts what it lost and reports it to the SFU in its receiver
reports; retransmissions it asks for are dropped alike."""

import random

import pytest
from aiortc.rtcdtlstransport import RTCDtlsTransport

from tests.media_client import MediaClient


class PacketLoss:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._rates: dict[int, float] = {}
        rates, chance = self._rates, random.Random(7)
        real = RTCDtlsTransport._handle_rtp_data

        async def lossy(transport: RTCDtlsTransport, data: bytes, arrival_time_ms: int) -> None:
            if chance.random() >= rates.get(id(transport), 0.0):
                await real(transport, data, arrival_time_ms)

        monkeypatch.setattr(RTCDtlsTransport, "_handle_rtp_data", lossy)

    def receive(self, client: MediaClient, rate: float) -> None:
        """Drop ``rate`` (0 to 1) of what ``client`` receives from now on."""
        for receiver in client.recv_transport.handler.pc.getReceivers():
            self._rates[id(receiver.transport)] = rate
