"""The database of the commands: the configured one, or the embedded server in the data
directory; migrated before use."""

import asyncio
from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from app.config.settings import Settings


def database_url(settings: Settings) -> str:
    """``DATABASE_URL``, or the embedded PostgreSQL's, started if need be."""
    if settings.database_url:
        return settings.database_url
    from app.persistence.embedded_db import start_embedded_postgres

    return start_embedded_postgres(settings.data_dir)


def with_db(settings: Settings, work: Callable[[AsyncSession], Awaitable[None]]) -> None:
    """Run ``work(db)`` on the migrated database, in an event loop of its own."""
    from app.persistence.db import create_engine, migrate, session_factory

    url = database_url(settings)
    migrate(url)

    async def main() -> None:
        engine = create_engine(url)
        try:
            async with session_factory(engine)() as db:
                await work(db)
        finally:
            await engine.dispose()

    asyncio.run(main())
