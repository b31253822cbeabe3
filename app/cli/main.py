"""The ``hocovisio`` command: ``run`` serves the product, ``migrate`` updates the schema,
``monitor`` ends or deletes consultations on demand, ``stats`` counts the events,
``devices`` manages the USB device catalogue, ``station`` runs a consultation station,
``config show`` prints the effective settings."""

import argparse
import sys

from app.cli import devices, monitor, serve
from app.config import config_file
from app.config.config_file import SettingsError
from app.config.logging_setup import configure_logging


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="hocovisio", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve.add_commands(commands)
    monitor.add_commands(commands)
    devices.add_commands(commands)
    config_file.add_commands(commands)
    args = parser.parse_args(argv)
    try:
        settings = config_file.load_settings()
    except SettingsError as error:
        sys.exit(f"invalid settings:\n{error}")
    configure_logging(settings)
    args.handler(settings, args)
