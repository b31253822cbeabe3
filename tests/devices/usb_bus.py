"""A fake USB bus: an umockdev testbed driven through ctypes, one JSON command per line.

It must run under ``umockdev-wrapper`` (the testbed checks its own sysfs through the preload
library), and prints ``{"root": UMOCKDEV_DIR}`` first: a watcher started under
``umockdev-wrapper`` with that ``UMOCKDEV_DIR`` sees the same devices and their uevents.
Debian's gi bindings are not importable from the project's Python, hence ctypes.
"""

import ctypes
import json
import sys
from typing import Any

_lib = ctypes.CDLL("libumockdev.so.0")
_gobject = ctypes.CDLL("libgobject-2.0.so.0")
_lib.umockdev_testbed_new.restype = ctypes.c_void_p
_lib.umockdev_testbed_get_root_dir.restype = ctypes.c_char_p
_lib.umockdev_testbed_get_root_dir.argtypes = [ctypes.c_void_p]
_lib.umockdev_testbed_add_from_string.restype = ctypes.c_int
_lib.umockdev_testbed_add_from_string.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
_lib.umockdev_testbed_uevent.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
_lib.umockdev_testbed_remove_device.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
_gobject.g_object_unref.argtypes = [ctypes.c_void_p]

HUB = "/devices/pci0000:00/0000:00:14.0/usb1"

# What each kind of fake device exposes below its USB interface.
CHILDREN = {
    "video": "video4linux/{node}\nN: {node}\nE: DEVNAME=/dev/{node}\nE: SUBSYSTEM=video4linux\n"
    "A: index=0\nA: name=Fake camera",
    "audio": "sound/{node}\nE: SUBSYSTEM=sound\nA: number={number}",
    "tty": "tty/{node}\nN: {node}\nE: DEVNAME=/dev/{node}\nE: SUBSYSTEM=tty",
    "hidraw": "hidraw/{node}\nN: {node}\nE: DEVNAME=/dev/{node}\nE: SUBSYSTEM=hidraw",
}


def plug(testbed: int, command: dict[str, Any]) -> dict[str, Any]:
    usb = f"{HUB}/{command['port']}"
    interface = f"{usb}/{command['port']}:1.0"
    node = command["node"]
    child = CHILDREN[command["kind"]].format(node=node, number=node.removeprefix("card"))
    description = (
        f"P: {usb}\nE: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\n"
        f"A: idVendor={command['vendor_id']}\nA: idProduct={command['product_id']}\n\n"
        f"P: {interface}\nE: SUBSYSTEM=usb\nE: DEVTYPE=usb_interface\n\n"
        f"P: {interface}/{child}\n"
    )
    if not _lib.umockdev_testbed_add_from_string(testbed, description.encode(), None):
        raise RuntimeError("umockdev refused the device")
    return {"usb": "/sys" + usb, "paths": ["/sys" + interface + "/" + child.split("\n")[0]]}


def unplug(testbed: int, command: dict[str, Any]) -> dict[str, Any]:
    """Send the kernel's removal events, deepest first, then take the device away."""
    for path in [*command["paths"], command["usb"]]:
        _lib.umockdev_testbed_uevent(testbed, path.encode(), b"remove")
    _lib.umockdev_testbed_remove_device(testbed, command["usb"].encode())
    return {}


def main() -> None:
    testbed = _lib.umockdev_testbed_new()
    try:
        root = _lib.umockdev_testbed_get_root_dir(testbed).decode()
        print(json.dumps({"root": root}), flush=True)
        for line in sys.stdin:
            command = json.loads(line)
            try:
                answer = {"plug": plug, "unplug": unplug}[command["op"]](testbed, command)
            except Exception as error:
                answer = {"error": str(error)}
            print(json.dumps(answer), flush=True)
    finally:
        _gobject.g_object_unref(testbed)


if __name__ == "__main__":
    main()
