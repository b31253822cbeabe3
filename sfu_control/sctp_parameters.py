"""SCTP parameters in the mediasoup JSON shape, and their FlatBuffers conversions.

Port of the Node library's ``SctpParameters.ts``.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from .wire import fbs


class NumSctpStreams(TypedDict):
    """Initially requested outgoing (``OS``) and maximum incoming (``MIS``) streams."""

    OS: int
    MIS: int


class SctpParameters(TypedDict):
    port: int
    OS: int
    MIS: int
    maxMessageSize: int
    sendBufferSize: int
    sctpBufferedAmount: int
    isDataChannel: bool


class SctpStreamParameters(TypedDict):
    streamId: int
    ordered: NotRequired[bool]
    maxPacketLifeTime: NotRequired[int]
    maxRetransmits: NotRequired[int]


def parse_sctp_parameters(p: Any) -> SctpParameters:
    return {
        "port": p.port,
        "OS": p.os,
        "MIS": p.mis,
        "maxMessageSize": p.maxMessageSize,
        "sendBufferSize": p.sendBufferSize,
        "sctpBufferedAmount": p.sctpBufferedAmount,
        "isDataChannel": p.isDataChannel,
    }


def serialize_sctp_stream_parameters(params: SctpStreamParameters) -> Any:
    p = fbs.SctpStreamParametersT()
    p.streamId = params["streamId"]
    p.ordered = params.get("ordered")
    p.maxPacketLifeTime = params.get("maxPacketLifeTime")
    p.maxRetransmits = params.get("maxRetransmits")
    return p


def parse_sctp_stream_parameters(p: Any) -> SctpStreamParameters:
    result: SctpStreamParameters = {"streamId": p.streamId, "ordered": p.ordered}
    if p.maxPacketLifeTime is not None:
        result["maxPacketLifeTime"] = p.maxPacketLifeTime
    if p.maxRetransmits is not None:
        result["maxRetransmits"] = p.maxRetransmits
    return result
