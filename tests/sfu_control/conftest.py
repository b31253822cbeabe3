"""Fixtures running sfu_control against the real mediasoup-worker binary.

The binary comes from ``MEDIASOUP_WORKER_BIN`` (``bash worker/build.sh | tail -1``);
without it every test here fails with an explanation instead of being skipped.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

from sfu_control import Router, Worker, WorkerSettings, create_worker

MEDIA_CODECS: list[dict[str, Any]] = [
    {"kind": "audio", "mimeType": "audio/opus", "clockRate": 48000, "channels": 2},
    {"kind": "video", "mimeType": "video/VP8", "clockRate": 90000},
]


@pytest.fixture(scope="session")
def worker_bin() -> str:
    path = os.environ.get("MEDIASOUP_WORKER_BIN")
    if not path or not os.access(path, os.X_OK):
        pytest.fail(
            "MEDIASOUP_WORKER_BIN must point at an executable mediasoup-worker 3.13.16 "
            "(build it with `bash worker/build.sh | tail -1`); got "
            f"{path!r}",
            pytrace=False,
        )
    return path


@pytest.fixture
def settings(worker_bin: str) -> WorkerSettings:
    return WorkerSettings(
        log_level="warn", worker_bin=worker_bin, rtc_min_port=40000, rtc_max_port=49999
    )


@pytest.fixture
async def worker(settings: WorkerSettings) -> AsyncIterator[Worker]:
    worker = await create_worker(settings)
    yield worker
    worker.close()
    await worker.wait_closed()


@pytest.fixture
async def router(worker: Worker) -> Router:
    return await worker.create_router(MEDIA_CODECS)
