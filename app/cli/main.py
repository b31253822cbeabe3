"""The ``hocovisio`` command: ``run`` serves the product, ``migrate`` updates the schema,
``monitor`` ends or deletes consultations on demand, ``stats`` counts the events,
``devices`` manages the USB device catalogue, ``webhooks dead`` lists (and retries) the
webhook deliveries given up, ``instances`` lists the instances serving on the database,
``station`` runs a consultation station (the
``hocovisio-station`` command of the ``station`` package, under another name), ``config
show`` prints the effective settings."""

import argparse
import sys

from app.cli import devices, instances, monitor, serve, webhooks
from app.config import config_file
from app.config.config_file import SettingsError
from app.config.logging_setup import configure_logging
from app.config.settings import Settings


def _station(settings: Settings, args: argparse.Namespace) -> None:
    from station.cli import main as station_main

    station_main(args.arguments, prog="hocovisio station")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="hocovisio", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve.add_commands(commands)
    monitor.add_commands(commands)
    devices.add_commands(commands)
    webhooks.add_commands(commands)
    instances.add_commands(commands)
    # The station parses its own arguments (--help included): none of them is an option here.
    station = commands.add_parser(
        "station",
        help="run a consultation station (hocovisio-station; the station extra)",
        add_help=False,
        prefix_chars="\0",
    )
    station.add_argument("arguments", nargs=argparse.REMAINDER)
    station.set_defaults(handler=_station)
    config_file.add_commands(commands)
    args = parser.parse_args(argv)
    try:
        settings = config_file.load_settings()
    except SettingsError as error:
        sys.exit(f"invalid settings:\n{error}")
    configure_logging(settings)
    args.handler(settings, args)
