"""ortc.py (port of ortc.ts): pure functions, no worker needed."""

from __future__ import annotations

import copy

import pytest

from sfu_control import UnsupportedError, ortc

from .conftest import MEDIA_CODECS

H264 = {
    "kind": "video",
    "mimeType": "video/H264",
    "clockRate": 90000,
    "parameters": {"packetization-mode": 1, "profile-level-id": "42e01f"},
}


def caps() -> dict:
    return ortc.generate_router_rtp_capabilities(copy.deepcopy([*MEDIA_CODECS, H264]))


def test_router_capabilities_payload_types_and_rtx() -> None:
    c = caps()
    assert [(x["mimeType"], x["preferredPayloadType"]) for x in c["codecs"]] == [
        ("audio/opus", 100),
        ("video/VP8", 101),
        ("video/rtx", 102),
        ("video/H264", 103),
        ("video/rtx", 104),
    ]
    assert c["codecs"][3]["parameters"]["level-asymmetry-allowed"] == 1
    with pytest.raises(TypeError):
        ortc.generate_router_rtp_capabilities(
            [
                {**MEDIA_CODECS[0], "preferredPayloadType": 100},
                {**MEDIA_CODECS[1], "preferredPayloadType": 100},
            ]
        )


def test_producer_mapping_consumable_and_consumer_parameters() -> None:
    c = caps()
    params = {
        "codecs": [
            {"mimeType": "video/VP8", "payloadType": 96, "clockRate": 90000},
            {
                "mimeType": "video/rtx",
                "payloadType": 97,
                "clockRate": 90000,
                "parameters": {"apt": 96},
            },
        ],
        "headerExtensions": [],
        "encodings": [{"ssrc": 1000, "rtx": {"ssrc": 1001}}],
        "rtcp": {"cname": "x"},
    }
    ortc.validate_rtp_parameters(params)
    mapping = ortc.get_producer_rtp_parameters_mapping(params, c)
    assert mapping["codecs"] == [
        {"payloadType": 96, "mappedPayloadType": 101},
        {"payloadType": 97, "mappedPayloadType": 102},
    ]
    assert mapping["encodings"][0]["ssrc"] == 1000
    consumable = ortc.get_consumable_rtp_parameters("video", params, c, mapping)
    assert [x["payloadType"] for x in consumable["codecs"]] == [101, 102]
    assert consumable["encodings"][0]["ssrc"] == mapping["encodings"][0]["mappedSsrc"]
    assert "rtx" not in consumable["encodings"][0]
    assert consumable["rtcp"] == {"cname": "x", "reducedSize": True}
    assert ortc.can_consume(consumable, copy.deepcopy(c))

    consumer = ortc.get_consumer_rtp_parameters(consumable, copy.deepcopy(c), False, True)
    assert [x["mimeType"] for x in consumer["codecs"]] == ["video/VP8", "video/rtx"]
    encoding = consumer["encodings"][0]
    assert encoding["rtx"]["ssrc"] == encoding["ssrc"] + 1
    # transport-cc header extension negotiated -> goog-remb dropped.
    assert all(fb["type"] != "goog-remb" for fb in consumer["codecs"][0]["rtcpFeedback"])

    no_rtx = ortc.get_consumer_rtp_parameters(consumable, copy.deepcopy(c), False, False)
    assert [x["mimeType"] for x in no_rtx["codecs"]] == ["video/VP8"]
    assert "rtx" not in no_rtx["encodings"][0]

    pipe = ortc.get_pipe_consumer_rtp_parameters(consumable, enable_rtx=False)
    assert [x["mimeType"] for x in pipe["codecs"]] == ["video/VP8"]
    uris = {x["uri"] for x in pipe["headerExtensions"]}
    assert "urn:ietf:params:rtp-hdrext:sdes:mid" not in uris


def test_h264_profile_must_match() -> None:
    c = caps()
    params = {
        "codecs": [
            {
                "mimeType": "video/H264",
                "payloadType": 125,
                "clockRate": 90000,
                "parameters": {"packetization-mode": 1, "profile-level-id": "640032"},
            },
        ],
        "encodings": [{"ssrc": 5}],
    }
    ortc.validate_rtp_parameters(params)
    with pytest.raises(UnsupportedError):
        ortc.get_producer_rtp_parameters_mapping(params, c)
    params["codecs"][0]["parameters"]["profile-level-id"] = "42e01f"
    mapping = ortc.get_producer_rtp_parameters_mapping(params, c)
    assert mapping["codecs"] == [{"payloadType": 125, "mappedPayloadType": 103}]


def test_scalability_mode_and_sctp_validation() -> None:
    assert ortc.parse_scalability_mode("L3T3_KEY") == {
        "spatialLayers": 3,
        "temporalLayers": 3,
        "ksvc": True,
    }
    assert ortc.parse_scalability_mode(None)["spatialLayers"] == 1
    params = {"streamId": 1, "maxRetransmits": 3}
    ortc.validate_sctp_stream_parameters(params)
    assert params["ordered"] is False
    with pytest.raises(TypeError):
        ortc.validate_sctp_stream_parameters({"streamId": 1, "ordered": True, "maxRetransmits": 3})


def test_clone_is_deep_and_refuses_what_is_not_json_shaped() -> None:
    caps = {"codecs": [{"mimeType": "audio/opus", "parameters": {"useinbandfec": 1}}]}
    cloned = ortc.clone(caps)
    cloned["codecs"][0]["parameters"]["useinbandfec"] = 0
    assert caps["codecs"][0]["parameters"] == {"useinbandfec": 1}
    with pytest.raises(TypeError, match="not JSON-shaped"):
        ortc.clone({"appData": object()})
