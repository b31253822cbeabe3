"""What a transport is created from and reports: listen infos, tuples, base stats.

Port of the parts of the Node library's ``Transport.ts`` shared by every transport
kind: the JSON shapes and their FlatBuffers conversions.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

from .sctp_parameters import NumSctpStreams, parse_sctp_parameters
from .wire import fbs
from .wire.values import enum_to_str, s, to_dict

TransportProtocol = Literal["udp", "tcp"]


class SocketFlags(TypedDict, total=False):
    ipv6Only: bool
    udpReusePort: bool


class TransportListenInfo(TypedDict):
    ip: str
    protocol: NotRequired[TransportProtocol]
    announcedIp: NotRequired[str]
    port: NotRequired[int]
    flags: NotRequired[SocketFlags]
    sendBufferSize: NotRequired[int]
    recvBufferSize: NotRequired[int]


class TransportTuple(TypedDict):
    localIp: str
    localPort: int
    protocol: TransportProtocol
    remoteIp: NotRequired[str]
    remotePort: NotRequired[int]


TransportStats = dict[str, Any]
"""A transport's ``getStats()`` entry: the base keys plus its kind's."""


def listen_info_to_fbs(listen_info: TransportListenInfo) -> Any:
    info = fbs.ListenInfoT()
    info.protocol = (
        fbs.Protocol.UDP if listen_info.get("protocol", "udp") == "udp" else (fbs.Protocol.TCP)
    )
    info.ip = listen_info["ip"]
    info.announcedIp = listen_info.get("announcedIp")
    info.port = listen_info.get("port") or 0
    flags = listen_info.get("flags") or {}
    info.flags = fbs.SocketFlagsT()
    info.flags.ipv6Only = bool(flags.get("ipv6Only"))
    info.flags.udpReusePort = bool(flags.get("udpReusePort"))
    info.sendBufferSize = listen_info.get("sendBufferSize") or 0
    info.recvBufferSize = listen_info.get("recvBufferSize") or 0
    return info


def transport_options(
    *,
    initial_available_outgoing_bitrate: int | None = None,
    enable_sctp: bool = False,
    num_sctp_streams: NumSctpStreams | None = None,
    max_sctp_message_size: int = 262144,
    sctp_send_buffer_size: int = 262144,
    is_data_channel: bool = False,
    direct: bool = False,
    max_message_size: int | None = None,
) -> Any:
    """``FBS.Transport.Options`` as built by the Node library's Router."""
    streams = num_sctp_streams or {"OS": 1024, "MIS": 1024}
    options = fbs.TransportOptionsT()
    options.direct = direct
    options.maxMessageSize = max_message_size
    options.initialAvailableOutgoingBitrate = initial_available_outgoing_bitrate
    options.enableSctp = enable_sctp
    options.numSctpStreams = fbs.NumSctpStreamsT()
    options.numSctpStreams.os = streams["OS"]
    options.numSctpStreams.mis = streams["MIS"]
    options.maxSctpMessageSize = max_sctp_message_size
    options.sctpSendBufferSize = sctp_send_buffer_size
    options.isDataChannel = is_data_channel
    return options


def parse_tuple(t: Any) -> TransportTuple:
    result: dict[str, Any] = {"localIp": s(t.localIp), "localPort": t.localPort}
    if t.remoteIp is not None:
        result["remoteIp"] = s(t.remoteIp)
    result["remotePort"] = t.remotePort
    result["protocol"] = enum_to_str(fbs.Protocol, t.protocol)
    return result  # type: ignore[return-value]


def parse_base_transport_data(d: Any) -> dict[str, Any]:
    """What a Transport keeps of its creation dump: the SCTP parameters and state.

    The rest of the dump (producer and consumer ids, RTP listener tables) is only
    true at that instant; ``dump()`` asks the worker again.
    """
    result: dict[str, Any] = {}
    if d.sctpParameters is not None:
        result["sctpParameters"] = parse_sctp_parameters(d.sctpParameters)
    if d.sctpState is not None:
        result["sctpState"] = enum_to_str(fbs.SctpState, d.sctpState)
    return result


def parse_base_transport_dump(d: Any) -> dict[str, Any]:
    return {**to_dict(d), **parse_base_transport_data(d)}


def parse_base_transport_stats(st: Any) -> TransportStats:
    result: TransportStats = {
        "transportId": s(st.transportId),
        "timestamp": st.timestamp,
        "bytesReceived": st.bytesReceived,
        "recvBitrate": st.recvBitrate,
        "bytesSent": st.bytesSent,
        "sendBitrate": st.sendBitrate,
        "rtpBytesReceived": st.rtpBytesReceived,
        "rtpRecvBitrate": st.rtpRecvBitrate,
        "rtpBytesSent": st.rtpBytesSent,
        "rtpSendBitrate": st.rtpSendBitrate,
        "rtxBytesReceived": st.rtxBytesReceived,
        "rtxRecvBitrate": st.rtxRecvBitrate,
        "rtxBytesSent": st.rtxBytesSent,
        "rtxSendBitrate": st.rtxSendBitrate,
        "probationBytesSent": st.probationBytesSent,
        "probationSendBitrate": st.probationSendBitrate,
        "availableOutgoingBitrate": st.availableOutgoingBitrate or 0,
        "availableIncomingBitrate": st.availableIncomingBitrate or 0,
    }
    if st.sctpState is not None:
        result["sctpState"] = enum_to_str(fbs.SctpState, st.sctpState)
    if st.maxIncomingBitrate:
        result["maxIncomingBitrate"] = st.maxIncomingBitrate
    return result
