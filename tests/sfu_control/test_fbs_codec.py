"""The schema-compiled codec against the reference FlatBuffers runtime and flatc.

The worker tests exercise the codec on every request and reply; these tests pin
down the bytes themselves: what ``codec.encode`` writes reads back the same
through the generated bindings' own runtime and through flatc's C++ reader, every
scalar sits aligned to its size, and bad values or bytes raise ``CodecError``.
"""

from __future__ import annotations

import json
import struct
import subprocess
from pathlib import Path
from typing import Any

import flatbuffers
import pytest

from sfu_control.rtp_parameters import serialize_rtp_mapping, serialize_rtp_parameters
from sfu_control.transport_data import listen_info_to_fbs
from sfu_control.wire import codec, fbs
from sfu_control.wire._fbs.FBS.Response.Body import Body as ResponseBody
from sfu_control.wire._fbs.FBS.Response.Response import ResponseT
from sfu_control.wire._fbs.FBS.Transport.Stats import StatsT
from sfu_control.wire._fbs.FBS.WebRtcTransport.GetStatsResponse import GetStatsResponseT
from sfu_control.wire.schema import SCALARS, Schema, SchemaError, load_schema
from sfu_control.wire.values import to_dict

RTP_PARAMETERS: dict[str, Any] = {
    "mid": "1",
    "codecs": [
        {
            "mimeType": "video/VP8",
            "payloadType": 96,
            "clockRate": 90000,
            "parameters": {"x-google-start-bitrate": 1000, "ratio": 0.5, "name": "é", "flag": True},
            "rtcpFeedback": [{"type": "nack"}, {"type": "nack", "parameter": "pli"}],
        },
        {
            "mimeType": "video/rtx",
            "payloadType": 97,
            "clockRate": 90000,
            "parameters": {"apt": 96, "list": [1, -2, 3]},
        },
        {"mimeType": "audio/opus", "payloadType": 111, "clockRate": 48000, "channels": 2},
    ],
    "headerExtensions": [
        {"uri": "urn:ietf:params:rtp-hdrext:sdes:mid", "id": 1, "encrypt": False},
        {"uri": "urn:3gpp:video-orientation", "id": 4, "encrypt": True},
    ],
    "encodings": [{"ssrc": 4294967295, "rtx": {"ssrc": 2}, "dtx": True, "maxBitrate": 500000}],
    "rtcp": {"cname": "patient", "reducedSize": False},
}


def request(method: int, body_type: int, body: Any, handler_id: str = "t-1") -> Any:
    req = fbs.RequestT()
    req.id, req.method, req.handlerId = 4294967295, method, handler_id
    req.bodyType, req.body = body_type, body
    message = fbs.MessageT()
    message.dataType, message.data = fbs.MessageBody.Request, req
    return message


def produce_request() -> Any:
    body = fbs.ProduceRequestT()
    body.producerId, body.kind = "p-1", fbs.MediaKind.VIDEO
    body.rtpParameters = serialize_rtp_parameters(RTP_PARAMETERS)
    body.rtpMapping = serialize_rtp_mapping(
        {
            "codecs": [{"payloadType": 96, "mappedPayloadType": 101}],
            "encodings": [{"ssrc": 4294967295, "mappedSsrc": 7, "scalabilityMode": "L1T3"}],
        }
    )
    body.paused = True
    return request(fbs.Method.TRANSPORT_PRODUCE, fbs.RequestBody.Transport_ProduceRequest, body)


def create_transport_request() -> Any:
    options = fbs.WebRtcTransportOptionsT()
    options.base = fbs.TransportOptionsT()
    options.base.maxMessageSize = 262144
    options.listenType = fbs.Listen.ListenIndividual
    options.listen = fbs.ListenIndividualT()
    options.listen.listenInfos = [
        listen_info_to_fbs({"ip": "127.0.0.1", "announcedIp": "192.0.2.1", "port": 40000}),
        listen_info_to_fbs({"protocol": "tcp", "ip": "::1", "flags": {"ipv6Only": True}}),
    ]
    options.enableUdp, options.enableTcp, options.preferTcp = False, True, True
    body = fbs.CreateWebRtcTransportRequestT()
    body.transportId, body.options = "t-2", options
    return request(
        fbs.Method.ROUTER_CREATE_WEBRTCTRANSPORT,
        fbs.RequestBody.Router_CreateWebRtcTransportRequest,
        body,
        handler_id="r-1",
    )


def stats_response() -> Any:
    stats = StatsT()
    stats.transportId = "t-3"
    stats.timestamp = 2**64 - 1
    stats.bytesReceived, stats.recvBitrate = 2**40, 123
    stats.availableOutgoingBitrate = 0  # optional scalar, present and zero
    stats.rtpPacketLossReceived = 0.25
    body = GetStatsResponseT()
    body.base = stats
    body.iceRole, body.iceState, body.dtlsState = 1, 2, 3
    response = ResponseT()
    response.id, response.accepted = 9, True
    response.bodyType, response.body = ResponseBody.WebRtcTransport_GetStatsResponse, body
    message = fbs.MessageT()
    message.dataType, message.data = fbs.MessageBody.Response, response
    return message


MESSAGES = {
    "produce": produce_request,
    "createWebRtcTransport": create_transport_request,
    "getStats reply": stats_response,
}


def reference_encode(message: Any) -> bytes:
    builder = flatbuffers.Builder(1024)
    builder.FinishSizePrefixed(message.Pack(builder))
    return bytes(builder.Output())


def reference_decode(frame: bytes) -> Any:
    return fbs.MessageT.InitFromObj(fbs.Message.GetRootAs(frame[4:], 0))


@pytest.mark.parametrize("name", MESSAGES)
def test_encoding_reads_back_through_the_reference_runtime(name: str) -> None:
    message = MESSAGES[name]()
    frame = codec.encode(message)
    assert struct.unpack_from("<I", frame)[0] == len(frame) - 4
    assert to_dict(reference_decode(frame)) == to_dict(message)


@pytest.mark.parametrize("name", MESSAGES)
def test_decoding_reads_what_the_reference_runtime_wrote(name: str) -> None:
    message = MESSAGES[name]()
    decoded = codec.decode(reference_encode(message)[4:])
    assert type(decoded) is type(message)
    assert to_dict(decoded) == to_dict(message)
    assert to_dict(codec.decode(codec.encode(message)[4:])) == to_dict(message)


def test_absent_optional_scalars_and_defaults_decode_as_the_bindings_do() -> None:
    decoded = codec.decode(codec.encode(stats_response())[4:])
    stats = decoded.data.body.base
    assert stats.availableOutgoingBitrate == 0  # present zero is not absent
    assert stats.availableIncomingBitrate is None  # "= null" and absent
    assert stats.sctpState is None
    assert stats.timestamp == 2**64 - 1 and stats.rtpPacketLossReceived == 0.25
    codecs = codec.decode(codec.encode(produce_request())[4:]).data.body.rtpParameters
    assert [c.channels for c in codecs.codecs] == [None, None, 2]
    assert codecs.rtcp.reducedSize is False  # schema default is true


@pytest.mark.parametrize("name", MESSAGES)
def test_flatc_reads_the_same_json_from_both_encoders(name: str, tmp_path: Path) -> None:
    """flatc (C++) turns our bytes and the reference runtime's into the same JSON."""
    message = MESSAGES[name]()
    outputs = []
    for label, frame in (("ours", codec.encode(message)), ("ref", reference_encode(message))):
        (tmp_path / f"{label}.bin").write_bytes(frame)
        schema = codec.SCHEMA_DIR / "message.fbs"
        flags = ["--json", "--strict-json", "--size-prefixed", "--raw-binary"]
        subprocess.run(
            [
                "flatc",
                *flags,
                "-o",
                str(tmp_path),
                str(schema),
                "--",
                str(tmp_path / f"{label}.bin"),
            ],
            check=True,
        )
        outputs.append(json.loads((tmp_path / f"{label}.json").read_text()))
    assert outputs[0] == outputs[1]
    assert outputs[0]["data"]["id"] in (4294967295, 9)


# ------------------------------------------------------------------ alignment


def _check_table(schema: Schema, buf: bytes, pos: int, name: str, seen: list[int]) -> None:
    assert pos % 4 == 0, f"{name} table at {pos}"
    vtable = pos - struct.unpack_from("<i", buf, pos)[0]
    assert vtable % 2 == 0, f"{name} vtable at {vtable}"
    count = (struct.unpack_from("<H", buf, vtable)[0] - 4) // 2
    offsets = struct.unpack_from(f"<{count}H", buf, vtable + 4)
    for field in schema.tables[name].fields:
        if field.slot >= count or not offsets[field.slot]:
            continue
        at = pos + offsets[field.slot]
        base, scalar = field.type.base, schema.scalar_of(field.type.base)
        if scalar is not None and not field.type.vector:
            size = struct.calcsize(SCALARS[scalar])
            assert at % size == 0, f"{name}.{field.name} ({size} bytes) at {at}"
            seen.append(size)
            continue
        assert at % 4 == 0, f"{name}.{field.name} offset at {at}"
        target = at + struct.unpack_from("<I", buf, at)[0]
        if base == "string" and not field.type.vector:
            assert target % 4 == 0, f"{name}.{field.name} string at {target}"
        elif base in schema.unions:
            union_type = buf[pos + offsets[field.slot - 1]]
            member = schema.unions[base].members[union_type - 1]
            _check_table(schema, buf, target, member, seen)
        elif base in schema.tables and not field.type.vector:
            _check_table(schema, buf, target, base, seen)
        elif field.type.vector:
            assert target % 4 == 0, f"{name}.{field.name} vector at {target}"
            elements = target + 4
            length = struct.unpack_from("<I", buf, target)[0]
            if scalar is not None:
                size = struct.calcsize(SCALARS[scalar])
                assert elements % size == 0, f"{name}.{field.name} elements at {elements}"
                continue
            for slot in range(elements, elements + 4 * length, 4):
                child = slot + struct.unpack_from("<I", buf, slot)[0]
                if base == "string":
                    assert child % 4 == 0, f"{name}.{field.name} string at {child}"
                else:
                    _check_table(schema, buf, child, base, seen)


@pytest.mark.parametrize("name", MESSAGES)
def test_every_scalar_is_aligned_to_its_size(name: str) -> None:
    frame = codec.encode(MESSAGES[name]())
    schema = load_schema(codec.SCHEMA_DIR)
    sizes: list[int] = []
    root = 4 + struct.unpack_from("<I", frame, 4)[0]
    _check_table(schema, frame, root, "FBS.Message.Message", sizes)
    assert sizes  # the walk reached the scalars


def test_eight_byte_scalars_are_aligned() -> None:
    """Stats carry uint64 and float64 fields: they must land on 8-byte boundaries."""
    frame = codec.encode(stats_response())
    sizes: list[int] = []
    root = 4 + struct.unpack_from("<I", frame, 4)[0]
    _check_table(load_schema(codec.SCHEMA_DIR), frame, root, "FBS.Message.Message", sizes)
    assert 8 in sizes


# ---------------------------------------------------------------- bad input


def test_out_of_range_value_is_a_codec_error() -> None:
    message = produce_request()
    message.data.body.rtpParameters.codecs[0].payloadType = 300  # uint8
    with pytest.raises(codec.CodecError, match="RtpCodecParameters"):
        codec.encode(message)


def test_union_type_outside_the_union_is_a_codec_error() -> None:
    message = produce_request()
    message.data.bodyType = 250
    with pytest.raises(codec.CodecError, match="union type 250"):
        codec.encode(message)


def test_a_missing_required_field_is_a_codec_error() -> None:
    """The worker reads required fields without checking them: a hole must not reach it."""
    message = produce_request()
    message.data.body.rtpParameters.codecs[1].mimeType = None
    with pytest.raises(codec.CodecError, match=r"RtpCodecParameters\.mimeType is required"):
        codec.encode(message)


@pytest.mark.parametrize("cut", [1, 7, 30, 200])
def test_truncated_bytes_are_a_codec_error(cut: int) -> None:
    payload = codec.encode(produce_request())[4:]
    with pytest.raises(codec.CodecError, match="malformed"):
        codec.decode(payload[:cut])


def test_schema_reader_refuses_what_it_does_not_handle(tmp_path: Path) -> None:
    (tmp_path / "a.fbs").write_text("namespace A;\nstruct Point { x: int; }\n")
    with pytest.raises(SchemaError, match="struct"):
        load_schema(tmp_path)
    (tmp_path / "a.fbs").write_text("namespace A;\ntable T { x: int (id: 3); }\n")
    with pytest.raises(SchemaError, match="unsupported attributes"):
        load_schema(tmp_path)
    (tmp_path / "a.fbs").write_text("namespace A;\ntable T { x: Missing; }\n")
    with pytest.raises(SchemaError, match="unknown type 'Missing'"):
        load_schema(tmp_path)
