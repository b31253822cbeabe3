"""Media capacity: concurrent two-party audio + video consultations one worker forwards.

sfu_control drives one worker. Each consultation is a router with, per participant, a
PlainTransport receiving its opus + VP8 producers (comedia) and a PlainTransport sending
the other participant's two consumers to a sink socket. A separate generator process
(bench/_rtp_sender.py) injects RTP at realistic rates (opus 50 packets/s, VP8 1 Mbit/s);
the worker's own stats count what arrived (producers) and what left (consumers). The count
steps up until packets are lost, the worker's CPU saturates or the generator falls behind.

    MEDIASOUP_WORKER_BIN=... .venv/bin/python -m bench.media_capacity
"""

import argparse
import asyncio
import itertools
import json
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import psutil

from sfu_control import Consumer, Producer, Router, Worker, create_worker

from ._common import MEDIA_CODECS, machine, worker_settings
from ._rtp_sender import TICK, VIDEO_PACKETS_PER_TICK

LISTEN_INFO = {"protocol": "udp", "ip": "127.0.0.1"}
AUDIO_PT, VIDEO_PT = 100, 101
LOSS_LIMIT = 0.001
CPU_LIMIT = 0.90
DOCUMENTED_CONSUMERS_PER_WORKER = 500
CONSUMERS_PER_CONSULTATION = 4
# Per consultation: two participants, each opus at 50 packets/s and VP8 at 1 Mbit/s.
TARGET_PPS = 2 * (50 + VIDEO_PACKETS_PER_TICK / TICK)


# The browser client's camera layers (web/src/media.js), lowest first: bits/s of each.
SIMULCAST_BITRATES = (150_000, 500_000, 1_200_000)


def rtp_parameters(kind: str, ssrc: int, layers: int = 1) -> dict[str, Any]:
    codec = (
        {"mimeType": "audio/opus", "payloadType": AUDIO_PT, "clockRate": 48000, "channels": 2}
        if kind == "audio"
        else {
            "mimeType": "video/VP8",
            "payloadType": VIDEO_PT,
            "clockRate": 90000,
            "rtcpFeedback": [{"type": "nack"}, {"type": "nack", "parameter": "pli"}],
        }
    )
    encodings = [{"ssrc": ssrc + layer} for layer in range(layers)]
    return {"codecs": [codec], "encodings": encodings, "rtcp": {"cname": f"c{ssrc}"}}


@dataclass
class Setup:
    """The live consultations of one step and the streams the generator sends."""

    routers: list[Router] = field(default_factory=list)
    producers: dict[int, Producer] = field(default_factory=dict)
    consumers: list[tuple[int, Consumer]] = field(default_factory=list)
    streams: list[dict[str, Any]] = field(default_factory=list)


async def build(
    worker: Worker, count: int, sink_port: int, ssrcs: itertools.count, simulcast: bool = False
) -> Setup:
    """``count`` consultations; with ``simulcast``, each video producer has the three layers of
    the browser client's camera (its consumers forward the top one: a PlainTransport has no
    bandwidth estimate to lower it)."""
    setup = Setup()
    for _ in range(count):
        router = await worker.create_router(MEDIA_CODECS)
        setup.routers.append(router)
        sides = []
        for _side in range(2):
            send = await router.create_plain_transport(listen_info=LISTEN_INFO, comedia=True)
            receive = await router.create_plain_transport(listen_info=LISTEN_INFO)
            await receive.connect(ip="127.0.0.1", port=sink_port)
            produced = []
            for kind in ("audio", "video"):
                layers = len(SIMULCAST_BITRATES) if simulcast and kind == "video" else 1
                ssrc = next(ssrcs) * 4
                producer = await send.produce(kind, rtp_parameters(kind, ssrc, layers))
                setup.producers[ssrc] = producer
                produced.append(producer)
                for layer in range(layers):
                    stream = {
                        "port": send.tuple["localPort"],
                        "payloadType": AUDIO_PT if kind == "audio" else VIDEO_PT,
                        "ssrc": ssrc + layer,
                        "kind": kind,
                    }
                    if layers > 1:
                        stream["bitrate"] = SIMULCAST_BITRATES[layer]
                    setup.streams.append(stream)
            sides.append((receive, produced))
        for side in range(2):
            receive, _ = sides[side]
            for producer in sides[1 - side][1]:
                ssrc = producer.rtp_parameters["encodings"][0]["ssrc"]
                consumer = await receive.consume(producer.id, router.rtp_capabilities)
                setup.consumers.append((ssrc, consumer))
    return setup


async def cpu_seconds(worker: Worker) -> float:
    """User + system CPU of the worker from its getrusage() (milliseconds on the wire)."""
    usage = await worker.get_resource_usage()
    return (usage["ru_utime"] + usage["ru_stime"]) / 1000


async def step(
    worker: Worker, count: int, seconds: float, sink_port: int, simulcast: bool = False
) -> dict[str, Any]:
    first_ssrc = 2_500_000 + count * 1000 + (500 if simulcast else 0)
    setup = await build(worker, count, sink_port, itertools.count(first_ssrc), simulcast)
    sender = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench._rtp_sender",
        f"--seconds={seconds}",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    process = psutil.Process(worker.pid)
    cpu_start, wall_start = await cpu_seconds(worker), time.perf_counter()
    os_start = sum(process.cpu_times()[:2])
    output, _ = await sender.communicate(json.dumps(setup.streams).encode())
    wall = time.perf_counter() - wall_start
    cpu = (await cpu_seconds(worker) - cpu_start) / wall
    os_cpu = (sum(process.cpu_times()[:2]) - os_start) / wall
    await asyncio.sleep(0.5)  # let the last packets through
    generated = json.loads(output)
    sent = sum(generated["sent"].values())
    received = 0
    for producer in setup.producers.values():
        received += sum(layer["packetCount"] for layer in await producer.get_stats())
    forwarded = 0
    for _ssrc, consumer in setup.consumers:
        stats = await consumer.get_stats()
        forwarded += next(s for s in stats if s["type"] == "outbound-rtp")["packetCount"]
    for router in setup.routers:
        router.close()
    # Every producer has exactly one consumer: forwarded should equal sent, or with simulcast
    # what the top layers and the audio sent (a simulcast consumer starts on a lower layer).
    forwardable = sent
    if simulcast:
        lower = {s["ssrc"] for s in setup.streams if s.get("bitrate", 0) < SIMULCAST_BITRATES[-1]}
        forwardable -= sum(n for ssrc, n in generated["sent"].items() if int(ssrc) in lower)
    return {
        "consultations": count,
        "simulcast": simulcast,
        "pps": sent / generated["seconds"],
        "sent": sent,
        "received": received,
        "forwarded": forwarded,
        "loss": 1 - forwarded / forwardable if forwardable else 0.0,
        "ingress loss": 1 - received / sent if sent else 0.0,
        "cpu": cpu,
        "os cpu": os_cpu,
        "late": generated["late"],
    }


async def compare_simulcast(worker: Worker, count: int, seconds: float, sink_port: int) -> None:
    """Worker CPU per consultation with single-layer cameras, then with three-layer ones."""
    print(f"# simulcast against one layer, {count} consultations each", flush=True)
    for simulcast in (False, True):
        result = await step(worker, count, seconds, sink_port, simulcast)
        print(
            f"  {'simulcast (3 layers)' if simulcast else 'one layer':20}:"
            f" {result['pps']:7.0f} pkt/s in, worker CPU {result['cpu']:.0%} of a core,"
            f" {result['cpu'] / count * 1000:.2f} ms of CPU per consultation-second,"
            f" {result['ingress loss']:.3%} lost on the way in, forwarded"
            f" {1 - result['loss']:.0%} of the top layers and audio",
            flush=True,
        )


async def main(steps: list[int], seconds: float, compare: int) -> None:
    worker = await create_worker(worker_settings())
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    results = []
    try:
        for count in steps:
            result = await step(worker, count, seconds, sink.getsockname()[1])
            results.append(result)
            print(
                f"  {count:4} consultations: {result['pps']:8.0f} pkt/s in, sent"
                f" {result['sent']}, worker received {result['received']}, forwarded"
                f" {result['forwarded']}, loss {result['loss']:.3%}, worker CPU"
                f" {result['cpu']:.0%} of a core (getrusage; /proc says {result['os cpu']:.0%}),"
                f" generator at {result['pps'] / (count * TARGET_PPS):.0%} of the target rate,"
                f" late by up to {result['late'] * 1000:.0f} ms",
                flush=True,
            )
            if result["loss"] > LOSS_LIMIT or result["cpu"] > CPU_LIMIT:
                break
            if result["pps"] < 0.9 * count * TARGET_PPS:
                print("  the generator cannot keep up: stopping here (a generator limit)")
                break
        rss = psutil.Process(worker.pid).memory_info().rss
        if compare:
            await compare_simulcast(worker, compare, seconds, sink.getsockname()[1])
    finally:
        sink.close()
        worker.close()
        await worker.wait_closed()
    lossless = [r for r in results if r["loss"] <= LOSS_LIMIT]
    print(f"# media capacity, one worker\n{machine()}")
    if lossless:
        best = lossless[-1]
        per_core = best["consultations"] / best["cpu"] if best["cpu"] else 0
        print(
            f"largest lossless step: {best['consultations']} consultations"
            f" ({best['consultations'] * CONSUMERS_PER_CONSULTATION} consumers),"
            f" worker CPU {best['cpu']:.0%} of a core -> ~{per_core:.0f} consultations per core"
            f" ({per_core * CONSUMERS_PER_CONSULTATION:.0f} consumers) by linear extrapolation;"
            f" mediasoup documents ~{DOCUMENTED_CONSUMERS_PER_WORKER} consumers per worker"
            f" ({DOCUMENTED_CONSUMERS_PER_WORKER // CONSUMERS_PER_CONSULTATION} such"
            f" consultations); worker RSS at the end {rss / 2**20:.0f} MiB"
        )
    if results and results[-1] not in lossless:
        print(f"loss appeared at {results[-1]['consultations']} consultations")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--steps", default="10,25,50,75,100,125,150,200", help="consultation counts to try"
    )
    parser.add_argument("--seconds", type=float, default=8.0, help="sending time per step")
    parser.add_argument(
        "--compare",
        type=int,
        default=50,
        help="consultations for the simulcast/one-layer comparison (0: none)",
    )
    arguments = parser.parse_args()
    steps = [int(n) for n in arguments.steps.split(",") if n]
    asyncio.run(main(steps, arguments.seconds, arguments.compare))
