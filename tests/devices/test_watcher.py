"""The station watcher against a fake USB bus (umockdev): what it recognises, and how fast."""

import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.devices.fake_usb import FakeUsbBus

CATALOGUE = {"beef:0001": "video", "beef:0002": "audio", "beef:0003": "data", "beef:0004": "data"}


class WatcherProcess:
    def __init__(self, bus: FakeUsbBus) -> None:
        script = str(Path(__file__).with_name("watch_events.py"))
        self.process = subprocess.Popen(
            bus.command(sys.executable, script, json.dumps(CATALOGUE)),
            env=bus.env(),
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def next(self, timeout: float = 5.0) -> dict[str, Any]:
        try:
            return json.loads(self.lines.get(timeout=timeout))
        except queue.Empty:
            raise AssertionError("no event from the watcher") from None

    def nothing(self, wait: float = 0.5) -> None:
        time.sleep(wait)
        assert self.lines.empty(), self.lines.get()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture
def watcher(usb_bus: FakeUsbBus) -> Iterator[WatcherProcess]:
    # One catalogued device is already plugged in when the station starts.
    usb_bus.plug("beef", "0001", "video", "video0", "1-1")
    process = WatcherProcess(usb_bus)
    yield process
    process.stop()


def test_watcher_reports_catalogued_devices_with_their_nodes(
    usb_bus: FakeUsbBus, watcher: WatcherProcess
):
    assert watcher.next(30) == {"ready": True}
    first = watcher.next()
    assert (first["action"], first["vendor_id"], first["node"]) == (
        "connected",
        "beef",
        "/dev/video0",
    )
    assert first["media_kind"] == "video"

    plugged = {}
    for port, (product, kind, node, expected) in {
        "1-2": ("0002", "audio", "card1", "hw:1"),
        "1-3": ("0003", "tty", "ttyACM0", "/dev/ttyACM0"),
        "1-4": ("0004", "hidraw", "hidraw0", "/dev/hidraw0"),
    }.items():
        start = time.monotonic()
        plugged[port] = usb_bus.plug("beef", product, kind, node, port)
        event = watcher.next()
        assert time.monotonic() - start < 1.0
        assert (event["action"], event["product_id"], event["node"]) == (
            "connected",
            product,
            expected,
        )

    # Not in the catalogue: a webcam, and a catalogued id with an unexpected kind of node.
    usb_bus.plug("cafe", "0001", "video", "video2", "1-5")
    usb_bus.plug("beef", "0002", "tty", "ttyUSB0", "1-6")
    watcher.nothing()

    start = time.monotonic()
    usb_bus.unplug(plugged["1-2"])
    event = watcher.next()
    assert time.monotonic() - start < 1.0
    assert (event["action"], event["node"]) == ("disconnected", "hw:1")
    usb_bus.unplug(plugged["1-3"])
    assert watcher.next()["node"] == "/dev/ttyACM0"
    watcher.nothing()
