"""RTP parameters in the mediasoup-client JSON shape, and their FlatBuffers conversions.

Port of the Node library's ``RtpParameters.ts``. The shapes are ``TypedDict``s with
camelCase keys: they travel to and from clients as they are. ``ortc`` validates
and normalises them; the functions here turn them into the worker's object-API
tables (``serialize_*``) and back (``parse_*``).
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

from .errors import ParameterError
from .wire import fbs
from .wire.values import s

MediaKind = Literal["audio", "video"]
ParameterValue = int | float | str | bool | list[int]


class RtcpFeedback(TypedDict):
    type: str
    parameter: NotRequired[str]


class RtpCodecParameters(TypedDict):
    mimeType: str
    payloadType: int
    clockRate: int
    channels: NotRequired[int]
    parameters: NotRequired[dict[str, ParameterValue]]
    rtcpFeedback: NotRequired[list[RtcpFeedback]]


class RtpCodecCapability(TypedDict):
    kind: MediaKind
    mimeType: str
    clockRate: int
    preferredPayloadType: NotRequired[int]
    channels: NotRequired[int]
    parameters: NotRequired[dict[str, ParameterValue]]
    rtcpFeedback: NotRequired[list[RtcpFeedback]]


class RtpHeaderExtensionParameters(TypedDict):
    uri: str
    id: int
    encrypt: NotRequired[bool]
    parameters: NotRequired[dict[str, ParameterValue]]


class RtpHeaderExtension(TypedDict):
    kind: MediaKind
    uri: str
    preferredId: int
    preferredEncrypt: NotRequired[bool]
    direction: NotRequired[Literal["sendrecv", "sendonly", "recvonly", "inactive"]]


class Rtx(TypedDict):
    ssrc: int


class RtpEncodingParameters(TypedDict, total=False):
    ssrc: int
    rid: str
    codecPayloadType: int
    rtx: Rtx
    dtx: bool
    scalabilityMode: str
    scaleResolutionDownBy: float
    maxBitrate: int


class RtcpParameters(TypedDict, total=False):
    cname: str
    reducedSize: bool


class RtpParameters(TypedDict):
    codecs: list[RtpCodecParameters]
    mid: NotRequired[str]
    headerExtensions: NotRequired[list[RtpHeaderExtensionParameters]]
    encodings: NotRequired[list[RtpEncodingParameters]]
    rtcp: NotRequired[RtcpParameters]


class RtpCapabilities(TypedDict, total=False):
    codecs: list[RtpCodecCapability]
    headerExtensions: list[RtpHeaderExtension]


class CodecMapping(TypedDict):
    payloadType: int
    mappedPayloadType: int


class EncodingMapping(TypedDict):
    mappedSsrc: int
    ssrc: NotRequired[int]
    rid: NotRequired[str]
    scalabilityMode: NotRequired[str]


class RtpMapping(TypedDict):
    """How a producer's codecs and encodings map to the router's (``ortc``)."""

    codecs: list[CodecMapping]
    encodings: list[EncodingMapping]


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


def serialize_parameters(parameters: dict[str, ParameterValue] | None) -> list[Any]:
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
            raise ParameterError(f"invalid parameter type [key:'{key}', value:{value}]")
        result.append(param)
    return result


def parse_parameters(params: list[Any] | None) -> dict[str, ParameterValue]:
    result: dict[str, Any] = {}
    for param in params or []:
        value = param.value.value if param.value is not None else None
        if param.valueType == fbs.Value.String:
            value = s(value)
        elif param.valueType == fbs.Value.Integer32Array:
            value = list(value or [])
        result[s(param.name) or ""] = value
    return result


def serialize_rtp_encoding_parameters(encodings: list[RtpEncodingParameters] | None) -> list[Any]:
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
        raise ParameterError(f"invalid RtpHeaderExtensionUri: {uri}") from None


def serialize_rtp_parameters(rtp_parameters: RtpParameters) -> Any:
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


def parse_rtp_encoding_parameters(enc: Any) -> RtpEncodingParameters:
    result: RtpEncodingParameters = {}
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


def parse_rtp_parameters(params: Any) -> RtpParameters:
    codecs = []
    for c in params.codecs or []:
        codec: dict[str, Any] = {
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
    result: dict[str, Any] = {}
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
    return result  # type: ignore[return-value]


def serialize_rtp_mapping(rtp_mapping: RtpMapping) -> Any:
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
