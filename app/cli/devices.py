"""``hocovisio devices list|add|remove``: the catalogue of USB medical devices."""

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.cli.database import with_db
from app.config.settings import Settings
from app.errors import Refused
from app.services import catalogue
from app.services.catalogue import MEDIA_KINDS


def add_commands(commands: Any) -> None:
    """Add ``devices`` to the ``hocovisio`` subcommands."""
    devices = commands.add_parser("devices", help="the catalogue of USB medical devices")
    actions = devices.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="list the catalogue")
    listing.add_argument("--json", action="store_true", help="print JSON, as GET /devices")
    listing.set_defaults(handler=_list)
    adding = actions.add_parser("add", help="add a device model by its USB vendor/product id")
    adding.add_argument("--name", required=True)
    adding.add_argument("--kind", required=True, help="e.g. otoscope, stethoscope")
    adding.add_argument("--vendor-id", required=True, help="4 hex digits, e.g. 0c45")
    adding.add_argument("--product-id", required=True, help="4 hex digits")
    adding.add_argument("--media-kind", required=True, choices=MEDIA_KINDS)
    adding.add_argument("--disabled", action="store_true", help="add it disabled")
    adding.set_defaults(handler=_add)
    removing = actions.add_parser("remove", help="remove a device model from the catalogue")
    removing.add_argument("id", type=int)
    removing.set_defaults(handler=_remove)


def _catalogue_work(settings: Settings, work: Callable[[AsyncSession], Awaitable[None]]) -> None:
    """Run ``work(db)``; a refused change ends the command with its reason."""
    failure: list[str] = []

    async def guarded(db: AsyncSession) -> None:
        try:
            await work(db)
        except Refused as error:
            failure.append(error.msg)

    with_db(settings, guarded)
    if failure:
        sys.exit(f"error: {failure[0]}")


def _line(device: dict[str, Any]) -> str:
    state = "enabled" if device["enabled"] else "disabled"
    return (
        f"{device['id']:>4}  {device['vendor_id']}:{device['product_id']}  "
        f"{device['media_kind']:<5}  {device['kind']:<18}  {state:<8}  {device['name']}"
    )


def _list(settings: Settings, args: argparse.Namespace) -> None:
    async def work(db: AsyncSession) -> None:
        devices = [device.public() for device in await catalogue.all_devices(db)]
        if args.json:
            print(json.dumps({"devices": devices}, indent=2))
            return
        for device in devices:
            print(_line(device))

    _catalogue_work(settings, work)


def _add(settings: Settings, args: argparse.Namespace) -> None:
    async def work(db: AsyncSession) -> None:
        new = catalogue.validated(
            args.name,
            args.kind,
            args.vendor_id,
            args.product_id,
            args.media_kind,
            not args.disabled,
        )
        device = await catalogue.add(db, new)
        print(f"added {_line(device.public()).strip()}")

    _catalogue_work(settings, work)


def _remove(settings: Settings, args: argparse.Namespace) -> None:
    async def work(db: AsyncSession) -> None:
        device = await catalogue.remove(db, args.id)
        print(f"removed {_line(device.public()).strip()}")

    _catalogue_work(settings, work)
