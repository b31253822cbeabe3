"""The station watcher: catalogued USB devices plugged in or out, and their device nodes.

pyudev's netlink monitor is a file descriptor: the event loop reads it when the kernel (or
udev) has news, with no polling. At start the devices already plugged in are enumerated.
What a device offers is found below its USB device in sysfs: a video4linux capture node
(``/dev/videoN``), an ALSA card (``hw:N``), a serial port (``/dev/ttyACM0``) or a hidraw node.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pyudev

log = logging.getLogger(__name__)

# Which node a device of each media kind is used through.
SUBSYSTEMS = {"video": ("video4linux",), "audio": ("sound",), "data": ("tty", "hidraw")}
WATCHED = ("video4linux", "sound", "tty", "hidraw", "usb")

# Given a USB id, the media kind of the catalogued (and enabled) model, or None.
Catalogue = Callable[[str, str], str | None]


@dataclass(frozen=True)
class UsbNode:
    """A catalogued device's node: what the station reports and opens."""

    vendor_id: str
    product_id: str
    media_kind: str
    node: str
    sys_path: str
    usb_path: str


@dataclass(frozen=True)
class DeviceEvent:
    action: str  # "connected" or "disconnected"
    device: UsbNode


def _node(device: pyudev.Device, media_kind: str) -> str | None:
    """The node through which a device of ``media_kind`` is used, if ``device`` is it."""
    subsystem = device.subsystem
    if subsystem not in SUBSYSTEMS[media_kind]:
        return None
    if subsystem == "sound":
        number = device.sys_name.removeprefix("card")
        return f"hw:{number}" if device.sys_name.startswith("card") and number.isdigit() else None
    if subsystem == "video4linux" and device.attributes.get("index") not in (None, b"0"):
        return None  # a camera's metadata node, not its picture
    return device.device_node


def _usb_id(usb: pyudev.Device, name: str) -> str:
    value = usb.attributes.get(name)
    return value.decode(errors="replace").strip().lower() if value else ""


class StationWatcher:
    def __init__(self, catalogue: Catalogue, context: pyudev.Context | None = None) -> None:
        self._catalogue = catalogue
        self._context = context or pyudev.Context()
        self._monitor: pyudev.Monitor | None = None
        self._queue: asyncio.Queue[DeviceEvent] = asyncio.Queue()
        self._known: dict[str, UsbNode] = {}

    @property
    def connected(self) -> list[UsbNode]:
        return list(self._known.values())

    def start(self) -> None:
        """Listen, then report what is already plugged in (so nothing falls in between)."""
        monitor = pyudev.Monitor.from_netlink(self._context)
        for subsystem in WATCHED:
            monitor.filter_by(subsystem)
        monitor.start()
        self._monitor = monitor
        asyncio.get_running_loop().add_reader(monitor.fileno(), self._readable)
        for subsystem in WATCHED[:-1]:
            for device in self._context.list_devices(subsystem=subsystem):
                self._added(device)

    def stop(self) -> None:
        if self._monitor is not None:
            asyncio.get_running_loop().remove_reader(self._monitor.fileno())
            self._monitor = None

    async def events(self) -> AsyncIterator[DeviceEvent]:
        while True:
            yield await self._queue.get()

    def _readable(self) -> None:
        assert self._monitor is not None
        while (device := self._monitor.poll(timeout=0)) is not None:
            try:
                if device.action == "add":
                    self._added(device)
                elif device.action == "remove":
                    self._removed(device)
            except Exception:
                log.exception("USB event on %s not understood", device.sys_path)

    def _added(self, device: pyudev.Device) -> None:
        if device.sys_path in self._known:
            return
        usb = device.find_parent("usb", "usb_device")
        if usb is None:
            return
        vendor_id, product_id = _usb_id(usb, "idVendor"), _usb_id(usb, "idProduct")
        media_kind = self._catalogue(vendor_id, product_id)
        if media_kind is None:
            log.info("USB device %s:%s is not in the catalogue", vendor_id, product_id)
            return
        node = _node(device, media_kind)
        if node is None:
            return
        found = UsbNode(vendor_id, product_id, media_kind, node, device.sys_path, usb.sys_path)
        self._known[device.sys_path] = found
        self._queue.put_nowait(DeviceEvent("connected", found))

    def _removed(self, device: pyudev.Device) -> None:
        """Forget the node, or every node of a USB device that is gone as a whole."""
        gone = [
            path
            for path, known in self._known.items()
            if path == device.sys_path or known.usb_path == device.sys_path
        ]
        for path in gone:
            self._queue.put_nowait(DeviceEvent("disconnected", self._known.pop(path)))
