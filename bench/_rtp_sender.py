"""The RTP generator of bench/media_capacity.py, run as its own process.

Reads a JSON list of streams on stdin (``{"port", "payloadType", "ssrc", "kind"}``, all on
127.0.0.1, and for video an optional ``bitrate`` in bits/s, 1 Mbit/s by default), sends
pre-built packets at realistic rates for ``--seconds`` from one UDP socket, and prints the
packets sent per ssrc (JSON), how late it ran and the share of ticks it had
to skip because it fell behind.

* audio: opus, 50 packets/s of 160 bytes (20 ms frames);
* video: VP8, 1 Mbit/s in 1,200-byte packets, every one a key-frame start so the consumers
  forward from the first packet (the payload descriptor is parsed by the worker).

Streams are spread over four 5 ms phases of the 20 ms tick so the sends are not one burst.
"""

import argparse
import json
import socket
import struct
import sys
import time
from dataclasses import dataclass

TICK = 0.020
PHASES = 4
MAX_LATE = 0.1
AUDIO_PAYLOAD = b"\xfc" + b"\x00" * 159
VIDEO_PAYLOAD = b"\x90\x00\x00" + b"\x00" * 1197  # X=1 S=1 PID 0; VP8 header P=0: key frame
VIDEO_BITRATE = 1_000_000
VIDEO_PACKETS_PER_TICK = VIDEO_BITRATE / 8 / len(VIDEO_PAYLOAD) * TICK
CLOCK_RATE = {"audio": 48000, "video": 90000}


@dataclass
class Stream:
    address: tuple[str, int]
    packet: bytearray
    per_tick: float
    timestamp_step: int
    sent: int = 0
    credit: float = 0.0

    def send(self, sock: socket.socket, tick: int) -> None:
        self.credit += self.per_tick
        count = int(self.credit)
        self.credit -= count
        timestamp = tick * self.timestamp_step
        for index in range(count):
            marker = 0x80 if index == count - 1 else 0
            struct.pack_into(
                "!BHI",
                self.packet,
                1,
                self.packet[1] & 0x7F | marker,
                self.sent & 0xFFFF,
                timestamp,
            )
            sock.sendto(self.packet, self.address)
            self.sent += 1


def video_packets_per_tick(description: dict[str, object]) -> float:
    bitrate = float(str(description.get("bitrate", VIDEO_BITRATE)))
    return bitrate / 8 / len(VIDEO_PAYLOAD) * TICK


def stream(description: dict[str, object]) -> Stream:
    kind = str(description["kind"])
    payload = AUDIO_PAYLOAD if kind == "audio" else VIDEO_PAYLOAD
    header = struct.pack(
        "!BBHII", 0x80, int(str(description["payloadType"])), 0, 0, int(str(description["ssrc"]))
    )
    return Stream(
        address=("127.0.0.1", int(str(description["port"]))),
        packet=bytearray(header + payload),
        per_tick=1.0 if kind == "audio" else video_packets_per_tick(description),
        timestamp_step=int(CLOCK_RATE[kind] * TICK),
    )


def main(seconds: float) -> None:
    streams = [stream(description) for description in json.load(sys.stdin)]
    phases = [streams[phase::PHASES] for phase in range(PHASES)]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 2**20)
    start = time.perf_counter()
    ticks = int(seconds / TICK)
    late, skipped = 0.0, 0
    for tick in range(ticks):
        for phase, members in enumerate(phases):
            due = start + tick * TICK + phase * TICK / PHASES
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            elif -wait > MAX_LATE:
                # Far behind: skip rather than catch up in a burst real clients would never
                # send (the shortfall shows as a lower rate).
                skipped += 1
                continue
            else:
                late = max(late, -wait)
            for member in members:
                member.send(sock, tick)
    sent = {str(struct.unpack_from("!I", s.packet, 8)[0]): s.sent for s in streams}
    elapsed = time.perf_counter() - start
    json.dump(
        {"sent": sent, "seconds": elapsed, "late": late, "skipped": skipped / PHASES / ticks},
        sys.stdout,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="RTP generator of bench.media_capacity")
    parser.add_argument("--seconds", type=float, default=8.0)
    main(parser.parse_args().seconds)
