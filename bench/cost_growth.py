"""Cost growth: set-up time and memory per consultation at 10, 100 and 1,000 live ones.

sfu_control (this process, the controller) opens consultations on one real worker, the same
set-up as bench/control_plane.py (router, two WebRTC transports, connect, audio + video
producer and the two consumers on each side) and keeps them all open. At each level it
reports the set-up time per consultation of the last batch and the controller + worker
resident memory per live consultation: both must stay flat as the count grows.

    MEDIASOUP_WORKER_BIN=... .venv/bin/python -m bench.cost_growth
"""

import argparse
import asyncio
import gc
import time

import psutil

from sfu_control import Router, create_worker

from ._common import machine, ms, percentile, worker_settings
from .control_plane import open_consultation
from .media_capacity import cpu_seconds as worker_cpu_seconds

MiB = 2**20


async def main(levels: list[int]) -> None:
    worker = await create_worker(worker_settings())
    controller, worker_process = psutil.Process(), psutil.Process(worker.pid)
    routers: list[Router] = []
    rows = []
    try:
        gc.collect()
        base = controller.memory_info().rss, worker_process.memory_info().rss
        for level in levels:
            latencies: list[float] = []
            batch = level - len(routers)
            worker_cpu = await worker_cpu_seconds(worker)
            start, cpu = time.perf_counter(), time.process_time()
            while len(routers) < level:
                consultation: list[float] = []
                routers.append(await open_consultation(worker, consultation))
                latencies.append(sum(consultation))
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            worker_cpu = await worker_cpu_seconds(worker) - worker_cpu
            gc.collect()
            rss = controller.memory_info().rss, worker_process.memory_info().rss
            rows.append((level, batch, wall, cpu, worker_cpu, latencies, rss))
    finally:
        for router in routers:
            router.close()
        worker.close()
        await worker.wait_closed()
    print(f"# cost growth, one worker, consultations kept open\n{machine()}")
    print(
        f"baseline RSS: controller {base[0] / MiB:.1f} MiB, worker {base[1] / MiB:.1f} MiB"
        " (before the first consultation)"
    )
    for level, batch, wall, cpu, worker_cpu, latencies, (controller_rss, worker_rss) in rows:
        extra = controller_rss - base[0] + worker_rss - base[1]
        print(
            f"  {level:5} live: set-up of the last {batch}: {ms(wall / batch)} per consultation"
            f" (p50 {ms(percentile(latencies, 0.5))}, p99 {ms(percentile(latencies, 0.99))},"
            f" CPU controller {ms(cpu / batch)} worker {ms(worker_cpu / batch)});"
            f" RSS controller {controller_rss / MiB:.1f} MiB + worker {worker_rss / MiB:.1f} MiB"
            f" -> {extra / level / 1024:.1f} KiB per live consultation"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default="10,100,1000")
    asyncio.run(main([int(n) for n in parser.parse_args().levels.split(",")]))
