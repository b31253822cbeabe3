from collections.abc import AsyncIterator, Iterator

import psycopg
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.persistence.db import create_engine, session_factory
from tests.fresh_db import fresh_database


@pytest.fixture
def fresh_url(database_url: str) -> Iterator[str]:
    with fresh_database(database_url) as url:
        yield url


@pytest.fixture
async def sessions(fresh_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions of the service's own kind, on the test's own database."""
    engine = create_engine(fresh_url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
def sql(fresh_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(fresh_url, autocommit=True) as connection:
        yield connection
