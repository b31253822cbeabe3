"""Database engine, migrations, and the retry of transactions that lost a lock conflict."""

import asyncio
import math
import random
from collections.abc import Awaitable, Callable
from functools import wraps
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

# query_canceled (``statement_timeout``) and lock_not_available (``lock_timeout``): the
# database is too slow or too contended to serve now.
TIMED_OUT_SQLSTATES = frozenset({"57014", "55P03"})
# serialization_failure and deadlock_detected: PostgreSQL rolled the transaction back, and
# running it again is the documented answer.
RETRIED_SQLSTATES = frozenset({"40001", "40P01"})
ATTEMPTS = 4

P = ParamSpec("P")
T = TypeVar("T")


def sqlalchemy_url(url: str) -> str:
    """Turn a libpq-style URL (``postgresql://...``) into one for SQLAlchemy's psycopg 3 driver."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise ValueError(f"DATABASE_URL must be a postgresql:// URL, not {url.split(':', 1)[0]!r}")


def libpq_url(url: str) -> str:
    """The URL as libpq reads it, for a connection of its own outside the engine's pool."""
    return "postgresql://" + sqlalchemy_url(url)[len("postgresql+psycopg://") :]


def create_engine(
    url: str,
    pool_size: int = 10,
    max_overflow: int = 10,
    pool_timeout: float = 2.0,
    statement_timeout: float | None = None,
    lock_timeout: float | None = None,
) -> AsyncEngine:
    """The engine of the service.

    ``hide_parameters``: an error never carries a statement's values (tokens, form data) into
    a log line. ``pool_timeout``: when every connection is busy a request fails fast (503)
    instead of queueing behind the others for half a minute.

    No ``pool_pre_ping``: it would cost a round trip on every checkout (two per request) to
    guard against a rare event. A connection the server dropped fails its statement with a
    disconnect error instead, which SQLAlchemy answers by invalidating the whole pool: that
    request gets a 503 (``app.http.errors``), and the next ones open fresh connections.

    ``statement_timeout`` and ``lock_timeout`` (seconds) are set on every pooled connection:
    a statement that runs or waits for a lock that long is cancelled by PostgreSQL, and the
    request gets a 503 rather than holding its connection.
    """
    connect_args: dict[str, str | int] = {}
    timeouts = {"statement_timeout": statement_timeout, "lock_timeout": lock_timeout}
    if any(timeouts.values()):
        connect_args["options"] = " ".join(
            f"-c {name}={int(seconds * 1000)}" for name, seconds in timeouts.items() if seconds
        )
    if statement_timeout:
        # A host that does not answer is not waited for longer than a statement would be.
        connect_args["connect_timeout"] = max(2, math.ceil(statement_timeout))
    return create_async_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        hide_parameters=True,
        connect_args=connect_args,
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE of a database error (wrapped by SQLAlchemy or not), else None."""
    original = error.orig if isinstance(error, DBAPIError) else error
    return getattr(original, "sqlstate", None)


BUSY = "the service is busy, try again"
UNAVAILABLE = "the database is unavailable, try again"


def database_unavailable(error: BaseException) -> str | None:
    """What to tell a client when ``error`` means the database cannot serve now, and coming
    back later will do: every pooled connection busy, a statement over its time or its lock
    wait (``BUSY``), or PostgreSQL unreachable, the connection lost, a deadlock retried too
    often (``UNAVAILABLE``). None for any other error. HTTP answers these 503 with
    ``Retry-After``; the socket answers their text."""
    if isinstance(error, PoolTimeout) or sqlstate(error) in TIMED_OUT_SQLSTATES:
        return BUSY
    if isinstance(error, OperationalError | InterfaceError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    ):
        return UNAVAILABLE
    return None


async def run_again_on_conflict(
    attempt: Callable[[], Awaitable[T]], undo: Callable[[], Awaitable[None]] | None = None
) -> T:
    """``attempt()``, run again (after ``undo()``, with a short random back-off) a bounded
    number of times when PostgreSQL aborted it on a deadlock or a serialization failure; any
    other error goes up at once."""
    tries = 1
    while True:
        try:
            return await attempt()
        except DBAPIError as error:
            if tries >= ATTEMPTS or sqlstate(error) not in RETRIED_SQLSTATES:
                raise
        if undo is not None:
            await undo()
        await asyncio.sleep(random.uniform(0, 0.01 * 2**tries))
        tries += 1


def retried(
    work: Callable[Concatenate[AsyncSession, P], Awaitable[T]],
) -> Callable[Concatenate[AsyncSession, P], Awaitable[T]]:
    """``work(db, ...)``, rolled back and run again on a deadlock or a serialization failure
    (``run_again_on_conflict``).

    ``work`` must do nothing outside the database before its commit (events are published
    after it), so that running it again is safe.
    """

    @wraps(work)
    async def run(db: AsyncSession, *args: P.args, **kwargs: P.kwargs) -> T:
        return await run_again_on_conflict(lambda: work(db, *args, **kwargs), db.rollback)

    return run


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Bring the schema to the newest migration."""
    command.upgrade(alembic_config(url), "head")
