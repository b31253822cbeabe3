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


def rtp_parameters(kind: str, ssrc: int) -> dict[str, Any]:
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
    return {"codecs": [codec], "encodings": [{"ssrc": ssrc}], "rtcp": {"cname": f"c{ssrc}"}}


@dataclass
class Setup:
    """The live consultations of one step and the streams the generator sends."""

    routers: list[Router] = field(default_factory=list)
    producers: dict[int, Producer] = field(default_factory=dict)
    consumers: list[tuple[int, Consumer]] = field(default_factory=list)
    streams: list[dict[str, Any]] = field(default_factory=list)


async def build(worker: Worker, count: int, sink_port: int, ssrcs: itertools.count) -> Setup:
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
                ssrc = next(ssrcs)
                producer = await send.produce(kind, rtp_parameters(kind, ssrc))
                setup.producers[ssrc] = producer
                produced.append(producer)
                setup.streams.append(
                    {
                        "port": send.tuple["localPort"],
                        "payloadType": AUDIO_PT if kind == "audio" else VIDEO_PT,
                        "ssrc": ssrc,
                        "kind": kind,
                    }
                )
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


async def step(worker: Worker, count: int, seconds: float, sink_port: int) -> dict[str, Any]:
    setup = await build(worker, count, sink_port, itertools.count(10_000_000 + count * 1000))
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
        received += (await producer.get_stats())[0]["packetCount"]
    forwarded = 0
    for _ssrc, consumer in setup.consumers:
        stats = await consumer.get_stats()
        forwarded += next(s for s in stats if s["type"] == "outbound-rtp")["packetCount"]
    for router in setup.routers:
        router.close()
    # Every producer has exactly one consumer: forwarded should equal sent.
    return {
        "consultations": count,
        "pps": sent / generated["seconds"],
        "sent": sent,
        "received": received,
        "forwarded": forwarded,
        "loss": 1 - forwarded / sent if sent else 0.0,
        "cpu": cpu,
        "os cpu": os_cpu,
        "late": generated["late"],
    }


async def main(steps: list[int], seconds: float) -> None:
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
    arguments = parser.parse_args()
    asyncio.run(main([int(n) for n in arguments.steps.split(",")], arguments.seconds))
