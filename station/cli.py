"""``hocovisio-station`` (also ``hocovisio station``): run a consultation station.

It needs the ``station`` extra (pyudev, aiortc, pymediasoup, websockets, httpx), installed
with ``pip install 'hocovisio[station]'``; the service does not.
"""

import argparse
import asyncio
import contextlib
import logging
import re
import signal
import sys

from station.agent import StationConfig, StationError, run_station

_USB_ID = re.compile(r"^(0x)?[0-9a-fA-F]{4}$")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def parser(prog: str = "hocovisio-station") -> argparse.ArgumentParser:
    made = argparse.ArgumentParser(
        prog=prog, description="run a consultation station: report USB devices, send their media"
    )
    made.add_argument("--server", required=True, help="the service's URL, http://host:port")
    who = made.add_mutually_exclusive_group(required=True)
    who.add_argument("--link", help="a participant link /session/<onetoone>/<session>")
    who.add_argument("--credential", help="a participant credential")
    made.add_argument(
        "--file",
        action="append",
        default=[],
        metavar="VENDOR:PRODUCT=PATH",
        help="play a media file instead of that device's node (demonstrations, tests)",
    )
    made.add_argument("--log-level", default="info", choices=("debug", "info", "warning"))
    return made


def _usb_id(value: str) -> str | None:
    """``value`` as the catalogue writes a USB id (4 lowercase hex digits), or None."""
    value = value.strip()
    return value.lower().removeprefix("0x") if _USB_ID.match(value) else None


def _files(values: list[str]) -> dict[str, str]:
    files = {}
    for value in values:
        ids, separator, path = value.partition("=")
        vendor_id, _, product_id = ids.partition(":")
        vendor, product = _usb_id(vendor_id), _usb_id(product_id)
        if not separator or not path or vendor is None or product is None:
            sys.exit("error: --file must be VENDOR:PRODUCT=PATH, like 1209:0001=otoscope.mp4")
        files[f"{vendor}:{product}"] = path
    return files


def _configure_logging(level: str) -> None:
    """Log to stderr (through the service's handler when run as ``hocovisio station``)."""
    logging.basicConfig(format=LOG_FORMAT, stream=sys.stderr)
    root = logging.getLogger()
    root.setLevel(level.upper())
    for noisy in ("asyncio", "aioice", "aiortc"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, root.level))
    # httpx says each request's URL at INFO (the link: its tokens), websockets each header
    # (the credential) at DEBUG.
    for quoting in ("httpx", "httpcore"):
        logging.getLogger(quoting).setLevel(max(logging.WARNING, root.level))
    logging.getLogger("websockets").setLevel(max(logging.INFO, root.level))


def main(argv: list[str] | None = None, prog: str = "hocovisio-station") -> None:
    """Serve the station until the consultation ends, SIGTERM or SIGINT."""
    args = parser(prog).parse_args(argv)
    _configure_logging(args.log_level)
    config = StationConfig(args.server.rstrip("/"), args.link, args.credential, _files(args.file))

    async def serve() -> None:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await run_station(config)

    try:
        asyncio.run(serve())
    except StationError as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main()
