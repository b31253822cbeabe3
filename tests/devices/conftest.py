from collections.abc import Iterator

import pytest

from tests.devices.fake_usb import FakeUsbBus


@pytest.fixture
def usb_bus() -> Iterator[FakeUsbBus]:
    bus = FakeUsbBus()
    yield bus
    bus.close()
