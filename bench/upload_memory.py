"""Peak memory of the server while it receives a 1 GiB upload.

Starts a real ``hocovisio run`` (and an embedded PostgreSQL unless ``DATABASE_URL`` is set),
uploads a 1 GiB PDF generated on the fly as a streamed body, and samples the server process's
resident memory. The upload path streams to disk, so the increase must stay under the target.

    MEDIASOUP_WORKER_BIN=... .venv/bin/python -m bench.upload_memory
"""

import argparse
import hashlib
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil

from tests.server import hocovisio, postgres

MiB = 1024 * 1024
BOUNDARY = "hocovisio-bench-boundary"
PDF_HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


class PeakRss:
    """Samples a process's resident set size in a thread."""

    def __init__(self, pid: int, interval: float = 0.01) -> None:
        self._process = psutil.Process(pid)
        self._interval = interval
        self._stop = threading.Event()
        self.peak = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        return self._process.memory_info().rss

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(self._interval)

    def __enter__(self) -> "PeakRss":
        self.peak = self.rss()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def multipart_pdf(size: int, hasher: "hashlib._Hash") -> tuple[int, Iterator[bytes]]:
    """The length and the chunks of a form whose ``document`` is a ``size``-byte PDF."""
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="document"; filename="bench.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    filler = bytes(range(256)) * 4096  # 1 MiB

    def chunks() -> Iterator[bytes]:
        yield head
        hasher.update(PDF_HEADER)
        yield PDF_HEADER
        remaining = size - len(PDF_HEADER)
        while remaining > 0:
            block = filler[: min(len(filler), remaining)]
            hasher.update(block)
            remaining -= len(block)
            yield block
        yield tail

    return len(head) + size + len(tail), chunks()


def upload(client: httpx.Client, credential: str, size: int) -> tuple[dict, str]:
    hasher = hashlib.sha256()
    length, body = multipart_pdf(size, hasher)
    response = client.post(
        "/upload-file",
        content=body,
        headers={
            "Authorization": f"Bearer {credential}",
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Content-Length": str(length),
        },
    )
    if response.status_code != 200:
        raise SystemExit(f"upload failed: {response.status_code} {response.text}")
    return response.json()["document"], hasher.hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--target-mib", type=int, default=64)
    args = parser.parse_args()
    size = args.size_mib * MiB
    env = {
        "HOCOVISIO_UPLOAD_MAX_BYTES": str(size),
        "HOCOVISIO_UPLOAD_QUOTA_BYTES": str(2 * size),
        "HOCOVISIO_SFU_WORKERS": "1",
    }
    with (
        postgres() as database_url,
        tempfile.TemporaryDirectory(prefix="hocovisio-bench-") as data_dir,
        hocovisio(database_url, Path(data_dir), env) as server,
        httpx.Client(base_url=server.base_url, timeout=600) as client,
    ):
        operator = {"Authorization": f"Bearer {server.operator_key}"}
        sessions = client.post("/onetoone", headers=operator).json()
        onetoone = sessions["onetoone"]["token"]
        patient = next(s for s in sessions["sessions"] if s["role"] == "patient")
        opened = client.get(f"/session/{onetoone}/{patient['token']}").json()
        credential = opened["session"]["credential"]

        upload(client, credential, MiB)  # warm up every code path first
        sampler = PeakRss(server.process.pid)
        baseline = sampler.rss()
        started = time.monotonic()
        with sampler:
            document, sha256 = upload(client, credential, size)
        elapsed = time.monotonic() - started

    if document["size"] != size or document["sha256"] != sha256:
        raise SystemExit(f"the stored document differs: {document}")
    increase = (sampler.peak - baseline) / MiB
    print(
        f"upload of {args.size_mib} MiB in {elapsed:.1f} s ({args.size_mib / elapsed:.0f} MiB/s):"
        f" server RSS {baseline / MiB:.1f} MiB -> peak {sampler.peak / MiB:.1f} MiB,"
        f" increase {increase:.1f} MiB (target < {args.target_mib} MiB)"
    )
    return 0 if increase < args.target_mib else 1


if __name__ == "__main__":
    sys.exit(main())
