"""The ``hocovisio`` command: ``run`` serves the product, ``migrate`` updates the schema,
``monitor`` ends or deletes consultations on demand, ``stats`` counts the events."""

import argparse
import asyncio
import logging
import os
import secrets
import sys

from pydantic import SecretStr, ValidationError

from app import cli_monitor
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

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = _database_url(settings)
    migrate(url)
    settings = settings.model_copy(
        update={"database_url": url, "operator_key": _operator_key(settings)}
    )
    config = Config()
    config.bind = [f"{settings.host}:{settings.port}"]
    config.graceful_timeout = 5
    config.accesslog = None
    print(f"HOCOVISIO serving on http://{settings.host}:{settings.port}", flush=True)
    asyncio.run(serve(create_app(settings), config))


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
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = Settings()
    except ValidationError as error:
        sys.exit(f"invalid settings:\n{error}")
    if hasattr(args, "handler"):
        args.handler(settings, args)
        return
    {"run": _run, "migrate": _migrate}[args.command](settings)


if __name__ == "__main__":
    main()
