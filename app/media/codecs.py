"""The router's media codecs, from the codec names a sysadmin configures."""

from typing import Any

_CODECS: dict[str, dict[str, Any]] = {
    "opus": {"kind": "audio", "mimeType": "audio/opus", "clockRate": 48000, "channels": 2},
    "VP8": {
        "kind": "video",
        "mimeType": "video/VP8",
        "clockRate": 90000,
        "parameters": {"x-google-start-bitrate": 1000},
    },
    "VP9": {
        "kind": "video",
        "mimeType": "video/VP9",
        "clockRate": 90000,
        "parameters": {"profile-id": 0, "x-google-start-bitrate": 1000},
    },
    "H264": {
        "kind": "video",
        "mimeType": "video/H264",
        "clockRate": 90000,
        "parameters": {
            "packetization-mode": 1,
            "profile-level-id": "42e01f",
            "level-asymmetry-allowed": 1,
            "x-google-start-bitrate": 1000,
        },
    },
}


def media_codecs(names: list[str]) -> list[dict[str, Any]]:
    return [dict(_CODECS[name]) for name in names]
