"""Helpers shared by the benchmarks: percentiles, the machine's description, worker settings,
process CPU and the open-files limit."""

import contextlib
import os
import platform
import resource
import statistics
from datetime import UTC, datetime

import psutil

from sfu_control import WorkerSettings

MEDIA_CODECS = [
    {"kind": "audio", "mimeType": "audio/opus", "clockRate": 48000, "channels": 2},
    {"kind": "video", "mimeType": "video/VP8", "clockRate": 90000},
]


def worker_settings() -> WorkerSettings:
    """The worker in ``MEDIASOUP_WORKER_BIN``, quiet."""
    worker_bin = os.environ.get("MEDIASOUP_WORKER_BIN")
    if not worker_bin:
        raise SystemExit("MEDIASOUP_WORKER_BIN must point at the mediasoup-worker binary")
    return WorkerSettings(log_level="warn", worker_bin=worker_bin)


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``values`` (nearest rank), 0.0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def machine() -> str:
    """One line: CPU model, core count, load average and the time, for the report."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(
                line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    memory = psutil.virtual_memory().total / 2**30
    return (
        f"{model}, {psutil.cpu_count()} cores, {memory:.1f} GiB, Python {platform.python_version()}"
        f", load average {load}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def raise_open_files() -> int:
    """Raise this process's open-files limit to its hard limit (children started afterwards,
    the server among them, inherit it); return the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def cpu_seconds(process: psutil.Process | None, children: bool = True) -> float:
    """CPU seconds of ``process`` so far, with its descendants unless ``children`` is false (the
    server with its SFU workers, PostgreSQL's postmaster with its backends), exited children
    it waited for included."""
    if process is None:
        return 0.0
    members = [process]
    if children:
        with contextlib.suppress(psutil.NoSuchProcess):
            members += process.children(recursive=True)
    total = 0.0
    for member in members:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = member.cpu_times()
            total += times.user + times.system
            if children:
                total += times.children_user + times.children_system
    return total
