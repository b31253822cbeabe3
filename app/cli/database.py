"""The database of the commands: the configured one, or the embedded server in the data
directory; migrated before use."""

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config.settings import Settings
from app.persistence.statements import Statements


def database_url(settings: Settings) -> str:
    """``DATABASE_URL``, or the embedded PostgreSQL's, started if need be."""
    if settings.database_url:
        return settings.database_url
    from app.persistence.embedded_db import start_embedded_postgres

    return start_embedded_postgres(settings.data_dir)


def with_db(settings: Settings, work: Callable[[AsyncSession], Awaitable[None]]) -> None:
    """Run ``work(db)`` on the migrated database, in an event loop of its own."""
    from app.persistence.db import session_factory

    async def in_session(engine: AsyncEngine) -> None:
        async with session_factory(engine)() as db:
            await work(db)

    _with_engine(settings, in_session)


def with_sql(settings: Settings, work: Callable[[Statements], Awaitable[None]]) -> None:
    """Run ``work(sql)`` (single statements, as the service's hot paths) on the migrated
    database, in an event loop of its own."""

    async def statements(engine: AsyncEngine) -> None:
        await work(Statements(engine))

    _with_engine(settings, statements)


def _with_engine(settings: Settings, work: Callable[[AsyncEngine], Awaitable[None]]) -> None:
    from app.persistence.db import create_engine, migrate

    url = database_url(settings)
    migrate(url)

    async def main() -> None:
        engine = create_engine(url)
        try:
            await work(engine)
        finally:
            await engine.dispose()

    asyncio.run(main())
