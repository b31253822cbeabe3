"""``hocovisio run`` (serve the API, the WebSocket and the SFU) and ``hocovisio migrate``."""

import argparse
import asyncio
import os
import secrets
from functools import partial
from typing import Any

from pydantic import SecretStr

from app.cli.database import database_url
from app.config.settings import Settings


def add_commands(commands: Any) -> None:
    """Add ``run`` and ``migrate`` to the ``hocovisio`` subcommands."""
    run_parser = commands.add_parser("run", help="serve the API, the WebSocket and the SFU")
    run_parser.set_defaults(handler=_run)
    migrate_parser = commands.add_parser("migrate", help="bring the database schema up to date")
    migrate_parser.set_defaults(handler=_migrate)


def _operator_key(settings: Settings) -> SecretStr:
    """The configured key, or the one kept in the data directory (generated on first run)."""
    if settings.operator_key is not None:
        return settings.operator_key
    path = settings.data_dir / "operator_key"
    if path.exists():
        # Not printed again: the output of every start lands in the journal.
        print(f"Operator key: kept in {path}", flush=True)
        return SecretStr(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(key)
    print(f"Operator key (kept in {path}): {key}", flush=True)
    return SecretStr(key)


def _run(settings: Settings, _: argparse.Namespace) -> None:
    from hypercorn.asyncio import serve

    from app.cli.hypercorn_setup import hypercorn_config
    from app.persistence.db import migrate
    from app.runtime.shutdown import on_signal
    from app.runtime.state import EXTENSION
    from app.server import create_app

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = database_url(settings)
    migrate(url)
    settings = settings.model_copy(
        update={"database_url": url, "operator_key": _operator_key(settings)}
    )
    config = hypercorn_config(settings)
    scheme = "https" if config.ssl_enabled else "http"
    app = create_app(settings)
    print(f"HOCOVISIO serving on {scheme}://{settings.host}:{settings.port}", flush=True)
    trigger = partial(on_signal, app.extensions[EXTENSION])
    asyncio.run(serve(app, config, shutdown_trigger=trigger))


def _migrate(settings: Settings, _: argparse.Namespace) -> None:
    from app.persistence.db import migrate

    migrate(database_url(settings))
    print("database schema is up to date")
