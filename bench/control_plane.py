"""Control plane against the reference: sfu_control beside mediasoup's own Node library.

Both drive the same worker binary (``MEDIASOUP_WORKER_BIN``), each its own worker process,
through the same scenario, in one run, interleaved round by round so machine load falls on
both alike:

* a consultation's full set-up and tear-down (router, two WebRTC transports on 127.0.0.1,
  connect with a client's DTLS parameters, audio + video producer on each side, the two
  consumers on each side, close the router), repeated;
* bursts of concurrent requests (``transport.getStats``, ``createWebRtcTransport``).

Reports operations per second, p50/p99 request latency, controller CPU time per operation
(``time.process_time`` in Python, ``process.cpuUsage()`` in Node) and the Python/Node ratio.
The Node peer (bench/node/peer.js) needs ``npm ci --ignore-scripts`` in bench/node first.

    MEDIASOUP_WORKER_BIN=... .venv/bin/python -m bench.control_plane
"""

import argparse
import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sfu_control import Router, Worker, create_worker

from ._common import MEDIA_CODECS, machine, ms, percentile, worker_settings

NODE_PEER = Path(__file__).parent / "node" / "peer.js"
REQUESTS_PER_CONSULTATION = 13  # router, 2 transports, 2 connects, 4 produces, 4 consumes
LISTEN_INFOS = [{"protocol": "udp", "ip": "127.0.0.1"}]
FINGERPRINT = ":".join(f"{byte:02X}" for byte in range(32))
SCENARIO: dict[str, Any] = {
    "mediaCodecs": MEDIA_CODECS,
    "listenInfos": LISTEN_INFOS,
    "dtlsParameters": {
        "role": "client",
        "fingerprints": [{"algorithm": "sha-256", "value": FINGERPRINT}],
    },
    "audio": {
        "mid": "0",
        "codecs": [
            {
                "mimeType": "audio/opus",
                "payloadType": 111,
                "clockRate": 48000,
                "channels": 2,
                "parameters": {"useinbandfec": 1, "minptime": 10},
                "rtcpFeedback": [{"type": "transport-cc"}],
            }
        ],
        "headerExtensions": [
            {"uri": "urn:ietf:params:rtp-hdrext:sdes:mid", "id": 1},
            {"uri": "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time", "id": 4},
        ],
        "encodings": [{"ssrc": 11111111}],
        "rtcp": {"cname": "bench", "reducedSize": True},
    },
    "video": {
        "mid": "1",
        "codecs": [
            {
                "mimeType": "video/VP8",
                "payloadType": 96,
                "clockRate": 90000,
                "rtcpFeedback": [
                    {"type": "nack"},
                    {"type": "nack", "parameter": "pli"},
                    {"type": "ccm", "parameter": "fir"},
                    {"type": "goog-remb"},
                ],
            },
            {
                "mimeType": "video/rtx",
                "payloadType": 97,
                "clockRate": 90000,
                "parameters": {"apt": 96},
                "rtcpFeedback": [],
            },
        ],
        "headerExtensions": [
            {"uri": "urn:ietf:params:rtp-hdrext:sdes:mid", "id": 1},
            {"uri": "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time", "id": 4},
        ],
        "encodings": [{"ssrc": 22222222, "rtx": {"ssrc": 22222223}}],
        "rtcp": {"cname": "bench", "reducedSize": True},
    },
}

T = TypeVar("T")


@dataclass
class Sample:
    """What one peer measured over a batch of operations."""

    operations: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)

    def add(self, operations: int, reply: dict[str, Any]) -> None:
        self.operations += operations
        self.wall += reply["wall"]
        self.cpu += reply["cpu"]
        self.latencies += reply["latencies"]

    @property
    def rate(self) -> float:
        return self.operations / self.wall if self.wall else 0.0

    @property
    def cpu_per_operation(self) -> float:
        return self.cpu / self.operations if self.operations else 0.0


async def timed(latencies: list[float], awaitable: Awaitable[T]) -> T:
    """Await ``awaitable``, recording its latency in seconds into ``latencies``."""
    start = time.perf_counter()
    result = await awaitable
    latencies.append(time.perf_counter() - start)
    return result


async def open_consultation(worker: Worker, latencies: list[float]) -> Router:
    """A consultation's media set up through sfu_control: its router, left open."""
    router = await timed(latencies, worker.create_router(MEDIA_CODECS))
    transports = [
        await timed(
            latencies, router.create_webrtc_transport(listen_infos=LISTEN_INFOS, enable_tcp=False)
        )
        for _ in range(2)
    ]
    for transport in transports:
        await timed(latencies, transport.connect(dtls_parameters=SCENARIO["dtlsParameters"]))
    producers = [
        [
            await timed(latencies, transport.produce("audio", SCENARIO["audio"])),
            await timed(latencies, transport.produce("video", SCENARIO["video"])),
        ]
        for transport in transports
    ]
    for side in range(2):
        for producer in producers[1 - side]:
            await timed(latencies, transports[side].consume(producer.id, router.rtp_capabilities))
    return router


class PythonPeer:
    """The scenario through sfu_control, in this process."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    async def _consultation(self, latencies: list[float]) -> None:
        router = await open_consultation(self.worker, latencies)
        router.close()

    async def consultations(self, count: int) -> dict[str, Any]:
        latencies: list[float] = []
        cpu, start = time.process_time(), time.perf_counter()
        for _ in range(count):
            await self._consultation(latencies)
        return {
            "wall": time.perf_counter() - start,
            "cpu": time.process_time() - cpu,
            "latencies": latencies,
        }

    async def burst(self, kind: str, count: int) -> dict[str, Any]:
        router: Router = await self.worker.create_router(MEDIA_CODECS)
        transport = await router.create_webrtc_transport(
            listen_infos=LISTEN_INFOS, enable_tcp=False
        )
        request: Callable[[], Awaitable[Any]] = {
            "getStats": transport.get_stats,
            "dump": router.dump,
            "createWebRtcTransport": lambda: router.create_webrtc_transport(
                listen_infos=LISTEN_INFOS, enable_tcp=False
            ),
        }[kind]
        latencies: list[float] = []
        cpu, start = time.process_time(), time.perf_counter()
        await asyncio.gather(*(timed(latencies, request()) for _ in range(count)))
        reply = {
            "wall": time.perf_counter() - start,
            "cpu": time.process_time() - cpu,
            "latencies": latencies,
        }
        router.close()
        return reply


class NodePeer:
    """The scenario through mediasoup's Node library, in a child ``node`` process."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls) -> "NodePeer":
        process = await asyncio.create_subprocess_exec(
            "node",
            str(NODE_PEER),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=64 * 2**20,
            env={**os.environ, "DEBUG": ""},
        )
        peer = cls(process)
        await peer.call(cmd="init", scenario=SCENARIO)
        return peer

    async def call(self, **message: Any) -> dict[str, Any]:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        await self.process.stdin.drain()
        reply = json.loads(await self.process.stdout.readline())
        if "error" in reply:
            raise RuntimeError(f"node peer: {reply['error']}")
        return reply

    async def consultations(self, count: int) -> dict[str, Any]:
        return await self.call(cmd="consultations", count=count)

    async def burst(self, kind: str, count: int) -> dict[str, Any]:
        return await self.call(cmd="burst", kind=kind, count=count)

    async def stop(self) -> None:
        assert self.process.stdin
        self.process.stdin.write(b'{"cmd": "quit"}\n')
        await self.process.stdin.drain()
        await asyncio.wait_for(self.process.wait(), 10)


def row(name: str, python: Sample, node: Sample, unit: str) -> str:
    def cells(sample: Sample) -> str:
        return (
            f"{sample.rate:8.1f} {unit}/s  p50 {ms(percentile(sample.latencies, 0.5)):>9}"
            f"  p99 {ms(percentile(sample.latencies, 0.99)):>9}"
            f"  cpu/op {ms(sample.cpu_per_operation):>9}"
        )

    return (
        f"{name}\n  python  {cells(python)}\n  node    {cells(node)}\n"
        f"  ratio python/node: throughput {python.rate / node.rate:.2f}x,"
        f" cpu/op {python.cpu_per_operation / node.cpu_per_operation:.2f}x,"
        f" p50 {percentile(python.latencies, 0.5) / percentile(node.latencies, 0.5):.2f}x"
    )


async def main(rounds: int, per_round: int, burst: int) -> None:
    worker = await create_worker(worker_settings())
    python = PythonPeer(worker)
    node = await NodePeer.start()
    peers: dict[str, PythonPeer | NodePeer] = {"python": python, "node": node}
    kinds = ["getStats", "createWebRtcTransport"]
    setups = {name: Sample() for name in peers}
    bursts = {kind: {name: Sample() for name in peers} for kind in kinds}
    try:
        for peer in peers.values():  # warm-up, not counted
            await peer.consultations(5)
            for kind in kinds:
                await peer.burst(kind, 100)
        for round_ in range(rounds):
            order = list(peers) if round_ % 2 == 0 else list(reversed(peers))
            for name in order:
                setups[name].add(per_round, await peers[name].consultations(per_round))
            for kind in kinds:
                for name in order:
                    bursts[kind][name].add(burst, await peers[name].burst(kind, burst))
    finally:
        await node.stop()
        worker.close()
        await worker.wait_closed()
    print(f"# control plane: sfu_control vs mediasoup@3.13.16 Node\n{machine()}")
    print(f"{rounds} rounds x {per_round} consultations per peer, interleaved")
    print(row("consultation set-up + tear-down", setups["python"], setups["node"], "consult"))
    requests = {
        name: Sample(
            operations=sample.operations * REQUESTS_PER_CONSULTATION,
            wall=sample.wall,
            cpu=sample.cpu,
            latencies=sample.latencies,
        )
        for name, sample in setups.items()
    }
    print(row("  same, per request", requests["python"], requests["node"], "req"))
    for kind in kinds:
        print(
            row(
                f"burst: {burst} concurrent {kind} x {rounds}",
                bursts[kind]["python"],
                bursts[kind]["node"],
                "req",
            )
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--per-round", type=int, default=50)
    parser.add_argument("--burst", type=int, default=1000)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rounds, arguments.per_round, arguments.burst))
