"""RTP stream statistics (``inbound-rtp`` / ``outbound-rtp``) from FlatBuffers.

Port of the Node library's ``RtpStream.ts``; producers and consumers report them.
"""

from __future__ import annotations

from typing import Any

from .wire import fbs
from .wire.values import enum_to_str, s

RtpStreamStats = dict[str, Any]
"""The stats of one stream: the keys of ``getStats()`` in the Node library."""


def _parse_base_stream_stats(b: Any) -> RtpStreamStats:
    result: RtpStreamStats = {
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


def parse_rtp_stream_stats(stats: Any) -> RtpStreamStats:
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
