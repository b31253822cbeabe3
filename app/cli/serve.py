"""The ``hocovisio`` command: ``run`` serves the product, ``migrate`` updates the schema,
``monitor`` ends or deletes consultations on demand, ``stats`` counts the events,
``devices`` manages the USB device catalogue, ``station`` runs a consultation station."""

import argparse
import asyncio
import logging
import os
import secrets
import sys
from functools import partial

from pydantic import SecretStr

from app import cli_devices, cli_monitor, config_file
from app.config_file import SettingsError
from app.logging_setup import configure_logging
from app.settings import Settings

log = logging.getLogger("hocovisio")


def _database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    from app.embedded_db import start_embedded_postgres

    return start_embedded_postgres(settings.data_dir)


def _operator_key(settings: Settings) -> SecretStr:
    """The configured key, or the one kept in the data directory (generated on first run)."""
    if settings.operator_key is not None:
        return settings.operator_key
    path = settings.data_dir / "operator_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(32))
    key = path.read_text().strip()
    print(f"Operator key (kept in {path}): {key}", flush=True)
    return SecretStr(key)


def _run(settings: Settings) -> None:
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    from app import create_app
    from app.db import migrate
    from app.shutdown import on_signal

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = _database_url(settings)
    migrate(url)
    settings = settings.model_copy(
        update={"database_url": url, "operator_key": _operator_key(settings)}
    )
    config = Config()
    config.bind = [f"{settings.host}:{settings.port}"]
    config.graceful_timeout = settings.shutdown_timeout
    config.accesslog = logging.getLogger("hypercorn.access") if settings.access_log else None
    config.errorlog = logging.getLogger("hypercorn.error")
    scheme = "http"
    if settings.tls_certfile is not None and settings.tls_keyfile is not None:
        config.certfile, config.keyfile = str(settings.tls_certfile), str(settings.tls_keyfile)
        scheme = "https"
    app = create_app(settings)
    print(f"HOCOVISIO serving on {scheme}://{settings.host}:{settings.port}", flush=True)
    trigger = partial(on_signal, app.extensions["hocovisio"])
    asyncio.run(serve(app, config, shutdown_trigger=trigger))


def _migrate(settings: Settings) -> None:
    from app.db import migrate

    migrate(_database_url(settings))
    print("database schema is up to date")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="hocovisio", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="serve the API, the WebSocket and the SFU")
    commands.add_parser("migrate", help="bring the database schema up to date")
    cli_monitor.add_commands(commands)
    cli_devices.add_commands(commands)
    config_file.add_commands(commands)
    args = parser.parse_args(argv)
    try:
        settings = config_file.load_settings()
    except SettingsError as error:
        sys.exit(f"invalid settings:\n{error}")
    configure_logging(settings)
    if hasattr(args, "handler"):
        args.handler(settings, args)
        return
    {"run": _run, "migrate": _migrate}[args.command](settings)


if __name__ == "__main__":
    main()
