"""Conversions between the JSON-shaped dicts of the public API and FlatBuffers.

Port of the Node library's ``RtpParameters.ts``, ``SctpParameters.ts``,
``SrtpParameters.ts``, ``RtpStream.ts`` and the ``parse*`` helpers spread over
``Transport.ts`` / ``WebRtcTransport.ts`` / ``Producer.ts`` / ``Consumer.ts``.
Requests are built as object-API ``*T`` tables; responses arrive decoded into
``*T`` tables whose strings are ``bytes`` and vectors lists (``fbs_codec``).
"""

from __future__ import annotations

from typing import Any

from .wire import fbs

Dict = dict[str, Any]

_URI_TO_FBS: dict[str, int] = {
    "urn:ietf:params:rtp-hdrext:sdes:mid": fbs.RtpHeaderExtensionUri.Mid,
    "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id": fbs.RtpHeaderExtensionUri.RtpStreamId,
    "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id": (
        fbs.RtpHeaderExtensionUri.RepairRtpStreamId
    ),
    "http://tools.ietf.org/html/draft-ietf-avtext-framemarking-07": (
        fbs.RtpHeaderExtensionUri.FrameMarkingDraft07
    ),
    "urn:ietf:params:rtp-hdrext:framemarking": fbs.RtpHeaderExtensionUri.FrameMarking,
    "urn:ietf:params:rtp-hdrext:ssrc-audio-level": fbs.RtpHeaderExtensionUri.AudioLevel,
    "urn:3gpp:video-orientation": fbs.RtpHeaderExtensionUri.VideoOrientation,
    "urn:ietf:params:rtp-hdrext:toffset": fbs.RtpHeaderExtensionUri.TimeOffset,
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01": (
        fbs.RtpHeaderExtensionUri.TransportWideCcDraft01
    ),
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time": (
        fbs.RtpHeaderExtensionUri.AbsSendTime
    ),
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time": (
        fbs.RtpHeaderExtensionUri.AbsCaptureTime
    ),
}
_URI_FROM_FBS = {v: k for k, v in _URI_TO_FBS.items()}

FINGERPRINT_TO_FBS = {
    "sha-1": fbs.FingerprintAlgorithm.SHA1,
    "sha-224": fbs.FingerprintAlgorithm.SHA224,
    "sha-256": fbs.FingerprintAlgorithm.SHA256,
    "sha-384": fbs.FingerprintAlgorithm.SHA384,
    "sha-512": fbs.FingerprintAlgorithm.SHA512,
}
FINGERPRINT_FROM_FBS = {v: k for k, v in FINGERPRINT_TO_FBS.items()}

_LOWER_NAMES: dict[Any, dict[int, str]] = {
    cls: {v: k.lower() for v, k in fbs.enum_names(cls).items()}
    for cls in (
        fbs.Protocol,
        fbs.SctpState,
        fbs.DtlsRole,
        fbs.DtlsState,
        fbs.IceRole,
        fbs.IceState,
        fbs.RtpType,
        fbs.MediaKind,
        fbs.DataProducerType,
    )
}


def enum_to_str(enum_cls: type, value: int | None) -> str | None:
    """Lower-case name of an enum value (``IceState.NEW`` -> ``"new"``)."""
    if value is None:
        return None
    return _LOWER_NAMES[enum_cls][value]


def enum_from_str(enum_cls: type, name: str) -> int:
    for value, lower in _LOWER_NAMES[enum_cls].items():
        if lower == name:
            return value
    raise TypeError(f"invalid {enum_cls.__name__}: {name}")


def s(value: bytes | str | None) -> str | None:
    """Decode a FlatBuffers string."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value


def to_dict(obj: Any) -> Any:
    """Generic object-API table -> dict (camelCase keys, ``None`` dropped).

    Used for dumps whose exact shape does not matter to clients; the union
    discriminators (``xxxType`` next to ``xxx``) are dropped.
    """
    if isinstance(obj, bytes):
        return obj.decode("utf-8", errors="replace")
    if isinstance(obj, (list, tuple)):
        return [to_dict(item) for item in obj]
    if hasattr(obj, "tolist"):  # numpy arrays from [uint8] vectors
        return obj.tolist()
    if hasattr(obj, "__dict__") and type(obj).__name__.endswith("T"):
        fields = vars(obj)
        return {
            key: to_dict(value)
            for key, value in fields.items()
            if value is not None and not (key.endswith("Type") and key[:-4] in fields)
        }
    return obj


# ------------------------------------------------------------ RTP parameters


def serialize_parameters(parameters: Dict | None) -> list[Any]:
    result = []
    for key, value in (parameters or {}).items():
        param = fbs.ParameterT()
        param.name = key
        if isinstance(value, bool):
            param.valueType, param.value = fbs.Value.Boolean, fbs.BooleanT()
            param.value.value = 1 if value else 0
        elif isinstance(value, int):
            param.valueType, param.value = fbs.Value.Integer32, fbs.Integer32T()
            param.value.value = value
        elif isinstance(value, float):
            if value.is_integer():
                param.valueType, param.value = fbs.Value.Integer32, fbs.Integer32T()
                param.value.value = int(value)
            else:
                param.valueType, param.value = fbs.Value.Double, fbs.DoubleT()
                param.value.value = value
        elif isinstance(value, str):
            param.valueType, param.value = fbs.Value.String, fbs.StringT()
            param.value.value = value
        elif isinstance(value, list):
            param.valueType, param.value = fbs.Value.Integer32Array, fbs.Integer32ArrayT()
            param.value.value = [int(v) for v in value]
        else:
            raise TypeError(f"invalid parameter type [key:'{key}', value:{value}]")
        result.append(param)
    return result


def parse_parameters(params: list[Any] | None) -> Dict:
    result: Dict = {}
    for param in params or []:
        value = param.value.value if param.value is not None else None
        if param.valueType == fbs.Value.String:
            value = s(value)
        elif param.valueType == fbs.Value.Integer32Array:
            value = list(value or [])
        result[s(param.name) or ""] = value
    return result


def serialize_rtp_encoding_parameters(encodings: list[Dict] | None) -> list[Any]:
    result = []
    for encoding in encodings or []:
        enc = fbs.RtpEncodingParametersT()
        if encoding.get("ssrc"):
            enc.ssrc = encoding["ssrc"]
        enc.rid = encoding.get("rid")
        if encoding.get("codecPayloadType"):
            enc.codecPayloadType = encoding["codecPayloadType"]
        if encoding.get("rtx"):
            enc.rtx = fbs.RtxT()
            enc.rtx.ssrc = encoding["rtx"]["ssrc"]
        if encoding.get("dtx") is not None:
            enc.dtx = bool(encoding["dtx"])
        if encoding.get("scalabilityMode"):
            enc.scalabilityMode = encoding["scalabilityMode"]
        if encoding.get("maxBitrate") is not None:
            enc.maxBitrate = encoding["maxBitrate"]
        result.append(enc)
    return result


def rtp_header_extension_uri_to_fbs(uri: str) -> int:
    try:
        return _URI_TO_FBS[uri]
    except KeyError:
        raise TypeError(f"invalid RtpHeaderExtensionUri: {uri}") from None


def serialize_rtp_parameters(rtp_parameters: Dict) -> Any:
    params = fbs.RtpParametersT()
    params.mid = rtp_parameters.get("mid")
    params.codecs = []
    for codec in rtp_parameters["codecs"]:
        c = fbs.RtpCodecParametersT()
        c.mimeType = codec["mimeType"]
        c.payloadType = codec["payloadType"]
        c.clockRate = codec["clockRate"]
        if codec.get("channels") is not None:
            c.channels = int(codec["channels"])
        c.parameters = serialize_parameters(codec.get("parameters"))
        c.rtcpFeedback = []
        for fb in codec.get("rtcpFeedback") or []:
            f = fbs.RtcpFeedbackT()
            f.type = fb["type"]
            f.parameter = fb.get("parameter")
            c.rtcpFeedback.append(f)
        params.codecs.append(c)
    params.headerExtensions = []
    for ext in rtp_parameters.get("headerExtensions") or []:
        e = fbs.RtpHeaderExtensionParametersT()
        e.uri = rtp_header_extension_uri_to_fbs(ext["uri"])
        e.id = ext["id"]
        e.encrypt = bool(ext.get("encrypt"))
        e.parameters = serialize_parameters(ext.get("parameters"))
        params.headerExtensions.append(e)
    params.encodings = serialize_rtp_encoding_parameters(rtp_parameters.get("encodings"))
    rtcp = rtp_parameters.get("rtcp") or {"reducedSize": True}
    params.rtcp = fbs.RtcpParametersT()
    params.rtcp.cname = rtcp.get("cname")
    params.rtcp.reducedSize = bool(rtcp.get("reducedSize"))
    return params


def parse_rtp_encoding_parameters(enc: Any) -> Dict:
    result: Dict = {}
    if enc.ssrc is not None:
        result["ssrc"] = enc.ssrc
    if enc.rid is not None:
        result["rid"] = s(enc.rid)
    if enc.codecPayloadType is not None:
        result["codecPayloadType"] = enc.codecPayloadType
    if enc.rtx is not None:
        result["rtx"] = {"ssrc": enc.rtx.ssrc}
    result["dtx"] = enc.dtx
    if enc.scalabilityMode is not None:
        result["scalabilityMode"] = s(enc.scalabilityMode)
    if enc.maxBitrate is not None:
        result["maxBitrate"] = enc.maxBitrate
    return result


def parse_rtp_parameters(params: Any) -> Dict:
    codecs = []
    for c in params.codecs or []:
        codec: Dict = {
            "mimeType": s(c.mimeType),
            "payloadType": c.payloadType,
            "clockRate": c.clockRate,
        }
        if c.channels is not None:
            codec["channels"] = c.channels
        codec["parameters"] = parse_parameters(c.parameters)
        codec["rtcpFeedback"] = [
            {
                "type": s(fb.type),
                **({"parameter": s(fb.parameter)} if fb.parameter is not None else {}),
            }
            for fb in c.rtcpFeedback or []
        ]
        codecs.append(codec)
    result: Dict = {}
    if params.mid is not None:
        result["mid"] = s(params.mid)
    result["codecs"] = codecs
    result["headerExtensions"] = [
        {
            "uri": _URI_FROM_FBS.get(e.uri),
            "id": e.id,
            "encrypt": e.encrypt,
            "parameters": parse_parameters(e.parameters),
        }
        for e in params.headerExtensions or []
    ]
    result["encodings"] = [parse_rtp_encoding_parameters(e) for e in params.encodings or []]
    if params.rtcp is not None:
        result["rtcp"] = {"reducedSize": params.rtcp.reducedSize}
        if params.rtcp.cname is not None:
            result["rtcp"]["cname"] = s(params.rtcp.cname)
    return result


def serialize_rtp_mapping(rtp_mapping: Dict) -> Any:
    mapping = fbs.RtpMappingT()
    mapping.codecs = []
    for codec in rtp_mapping["codecs"]:
        c = fbs.CodecMappingT()
        c.payloadType = codec["payloadType"]
        c.mappedPayloadType = codec["mappedPayloadType"]
        mapping.codecs.append(c)
    mapping.encodings = []
    for encoding in rtp_mapping["encodings"]:
        e = fbs.EncodingMappingT()
        e.rid = encoding.get("rid")
        e.ssrc = encoding.get("ssrc")
        e.scalabilityMode = encoding.get("scalabilityMode")
        e.mappedSsrc = encoding["mappedSsrc"]
        mapping.encodings.append(e)
    return mapping


# --------------------------------------------------------------- transports


def listen_info_to_fbs(listen_info: Dict) -> Any:
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
    num_sctp_streams: Dict | None = None,
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


def parse_tuple(t: Any) -> Dict:
    result: Dict = {"localIp": s(t.localIp), "localPort": t.localPort}
    if t.remoteIp is not None:
        result["remoteIp"] = s(t.remoteIp)
    result["remotePort"] = t.remotePort
    result["protocol"] = enum_to_str(fbs.Protocol, t.protocol)
    return result


def parse_sctp_parameters(p: Any) -> Dict:
    return {
        "port": p.port,
        "OS": p.os,
        "MIS": p.mis,
        "maxMessageSize": p.maxMessageSize,
        "sendBufferSize": p.sendBufferSize,
        "sctpBufferedAmount": p.sctpBufferedAmount,
        "isDataChannel": p.isDataChannel,
    }


def serialize_sctp_stream_parameters(params: Dict) -> Any:
    p = fbs.SctpStreamParametersT()
    p.streamId = params["streamId"]
    p.ordered = params.get("ordered")
    p.maxPacketLifeTime = params.get("maxPacketLifeTime")
    p.maxRetransmits = params.get("maxRetransmits")
    return p


def parse_sctp_stream_parameters(p: Any) -> Dict:
    result: Dict = {"streamId": p.streamId, "ordered": p.ordered}
    if p.maxPacketLifeTime is not None:
        result["maxPacketLifeTime"] = p.maxPacketLifeTime
    if p.maxRetransmits is not None:
        result["maxRetransmits"] = p.maxRetransmits
    return result


def serialize_srtp_parameters(params: Dict) -> Any:
    p = fbs.SrtpParametersT()
    p.cryptoSuite = crypto_suite_to_fbs(params["cryptoSuite"])
    p.keyBase64 = params["keyBase64"]
    return p


def crypto_suite_to_fbs(name: str) -> int:
    value = getattr(fbs.SrtpCryptoSuite, name, None)
    if value is None:
        raise TypeError(f"invalid SrtpCryptoSuite: {name}")
    return value


def parse_srtp_parameters(p: Any) -> Dict:
    names = fbs.enum_names(fbs.SrtpCryptoSuite)
    return {"cryptoSuite": names[p.cryptoSuite], "keyBase64": s(p.keyBase64)}


def parse_base_transport_data(d: Any) -> Dict:
    """What a Transport keeps of its creation dump: the SCTP parameters and state.

    The rest of the dump (producer and consumer ids, RTP listener tables) is only
    true at that instant; ``dump()`` asks the worker again.
    """
    result: Dict = {}
    if d.sctpParameters is not None:
        result["sctpParameters"] = parse_sctp_parameters(d.sctpParameters)
    if d.sctpState is not None:
        result["sctpState"] = enum_to_str(fbs.SctpState, d.sctpState)
    return result


def parse_base_transport_dump(d: Any) -> Dict:
    return {**to_dict(d), **parse_base_transport_data(d)}


def parse_base_transport_stats(st: Any) -> Dict:
    result: Dict = {
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


# ------------------------------------------------------------------- stats


def _parse_base_stream_stats(b: Any) -> Dict:
    result: Dict = {
        "timestamp": b.timestamp,
        "ssrc": b.ssrc,
        "kind": enum_to_str(fbs.MediaKind, b.kind),
        "mimeType": s(b.mimeType),
        "packetsLost": b.packetsLost,
        "fractionLost": b.fractionLost,
        "packetsDiscarded": b.packetsDiscarded,
        "packetsRetransmitted": b.packetsRetransmitted,
        "packetsRepaired": b.packetsRepaired,
        "nackCount": b.nackCount,
        "nackPacketCount": b.nackPacketCount,
        "pliCount": b.pliCount,
        "firCount": b.firCount,
        "score": b.score,
        "roundTripTime": b.roundTripTime,
    }
    if b.rtxSsrc is not None:
        result["rtxSsrc"] = b.rtxSsrc
    if b.rid is not None:
        result["rid"] = s(b.rid)
    if b.rtxPacketsDiscarded:
        result["rtxPacketsDiscarded"] = b.rtxPacketsDiscarded
    return result


def parse_rtp_stream_stats(stats: Any) -> Dict:
    """``FBS.RtpStream.Stats`` -> inbound-rtp / outbound-rtp stats dict."""
    data = stats.data
    base = _parse_base_stream_stats(data.base.data)
    if stats.dataType == fbs.StatsData.RecvStats:
        return {
            **base,
            "type": "inbound-rtp",
            "jitter": data.jitter,
            "byteCount": data.byteCount,
            "packetCount": data.packetCount,
            "bitrate": data.bitrate,
            "bitrateByLayer": {s(x.layer): x.bitrate for x in data.bitrateByLayer or []},
        }
    return {
        **base,
        "type": "outbound-rtp",
        "byteCount": data.byteCount,
        "packetCount": data.packetCount,
        "bitrate": data.bitrate,
    }


def parse_consumer_layers(layers: Any) -> Dict | None:
    if layers is None:
        return None
    result: Dict = {"spatialLayer": layers.spatialLayer}
    if layers.temporalLayer is not None:
        result["temporalLayer"] = layers.temporalLayer
    return result
