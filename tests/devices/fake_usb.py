"""Drive ``usb_bus.py`` from a test, and start programs that see its fake devices."""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

WRAPPER = shutil.which("umockdev-wrapper")


def require_umockdev() -> None:
    if WRAPPER is None:
        pytest.fail("umockdev-wrapper is missing: run scripts/setup-system.sh (Debian umockdev)")


@dataclass
class Plugged:
    usb: str
    paths: list[str]


class FakeUsbBus:
    def __init__(self) -> None:
        require_umockdev()
        assert WRAPPER is not None
        self.process = subprocess.Popen(
            [WRAPPER, sys.executable, str(Path(__file__).with_name("usb_bus.py"))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.root = self._answer()["root"]

    def _answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("usb_bus.py ended")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer

    def _command(self, **command: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self._answer()

    def plug(self, vendor_id: str, product_id: str, kind: str, node: str, port: str) -> Plugged:
        answer = self._command(
            op="plug", vendor_id=vendor_id, product_id=product_id, kind=kind, node=node, port=port
        )
        return Plugged(answer["usb"], answer["paths"])

    def unplug(self, plugged: Plugged) -> None:
        self._command(op="unplug", usb=plugged.usb, paths=plugged.paths)

    def command(self, *argv: str) -> list[str]:
        """``argv`` run so that it sees this bus."""
        assert WRAPPER is not None
        return [WRAPPER, *argv]

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "UMOCKDEV_DIR": self.root, **extra}

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(10)
