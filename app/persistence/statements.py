"""Hot-path statements: one round trip each, straight through psycopg.

A request that fits in one SQL statement (data-modifying CTEs, ``RETURNING``) needs neither a
transaction of its own nor the ORM: the statement runs in autocommit, so it is its own
transaction, and PostgreSQL sees no ``BEGIN`` or ``COMMIT``. It is prepared on each pooled
connection the first time it runs there, so later runs skip parsing and planning. The
connection comes from the engine's pool (the same pool as the ORM's sessions) and goes back
to it in the state it came in.

The database's errors come out as SQLAlchemy's (``DBAPIError`` and its subclasses, without
the statement's values), as the ORM's do, so that ``app.http.errors`` answers them alike;
a connection the error broke is invalidated. A statement PostgreSQL aborted on a deadlock or
a serialization failure is run again (``run_again_on_conflict``, as for transactions): it changed
nothing, and its caller does nothing before it returns.
"""

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, LiteralString

import psycopg
from psycopg.rows import namedtuple_row
from psycopg.types.json import Jsonb
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.persistence.db import run_again_on_conflict

Params = Mapping[str, Any] | Sequence[Any]
Row = Any  # a named tuple: its columns by name or position


def jsonb(value: Any) -> Jsonb:
    """A parameter to pass as ``jsonb``."""
    return Jsonb(value)


def _sever(connection: psycopg.AsyncConnection[Any]) -> None:
    """Shut down the socket of a connection whose statement the database does not answer:
    the statement's wait ends at once with a broken connection, which the pool then drops.
    Cancelling the statement would not do: psycopg then waits for the server to acknowledge
    the cancel, and a frozen server never does."""
    with contextlib.suppress(OSError, psycopg.Error):
        duplicate = socket.socket(fileno=os.dup(connection.pgconn.socket))
        with duplicate:
            duplicate.shutdown(socket.SHUT_RDWR)


# How much longer than its ``statement_timeout`` a statement is waited for: PostgreSQL cancels
# a slow one itself; one not answered by then is on a database that stopped (a frozen host, a
# stopped process), which cancels nothing.
STALLED_MARGIN = 1.0


class Statements:
    """Runs single statements on the engine's pooled connections. ``stalled_after``: seconds
    after which a statement (with its transaction) is given up on, its connection dropped,
    and the database answered unavailable (``database_unavailable``: a 503)."""

    def __init__(self, engine: AsyncEngine, stalled_after: float | None = None) -> None:
        self._engine = engine
        self._stalled_after = stalled_after

    async def one(self, query: LiteralString, params: Params) -> Row | None:
        """The statement's first row (None without one)."""
        rows = await self.all(query, params)
        return rows[0] if rows else None

    async def all(self, query: LiteralString, params: Params) -> list[Row]:
        """The statement's rows."""
        return await run_again_on_conflict(lambda: self._run(query, params))

    async def _run(self, query: LiteralString, params: Params) -> list[Row]:
        async with self._connection() as connection:
            deadline = None
            if self._stalled_after is not None:
                loop = asyncio.get_running_loop()
                deadline = loop.call_later(self._stalled_after, _sever, connection)
            try:
                cursor = connection.cursor(row_factory=namedtuple_row)
                await cursor.execute(query, params, prepare=True)
                return await cursor.fetchall()
            finally:
                if deadline is not None:
                    deadline.cancel()

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        async with self._engine.connect() as pooled:
            driver: psycopg.AsyncConnection[Any] = (
                await pooled.get_raw_connection()
            ).driver_connection
            try:
                await driver.set_autocommit(True)
                yield driver
                await driver.set_autocommit(False)
            except psycopg.Error as error:
                broken = driver.broken or driver.closed
                if broken:
                    await pooled.invalidate(error)
                else:
                    await driver.set_autocommit(False)
                raise DBAPIError.instance(
                    None,
                    None,
                    error,
                    psycopg.Error,
                    hide_parameters=True,
                    connection_invalidated=broken,
                ) from error
            except BaseException:
                # Cancelled mid-statement: the connection's state is unknown.
                await pooled.invalidate()
                raise
