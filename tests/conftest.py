from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.client import Consultation, Participant, create_consultation
from tests.server import RunningServer, hocovisio, postgres
from tests.turn_server import TurnServer, coturn


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with postgres() as url:
        yield url


@pytest.fixture(scope="session")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with hocovisio(database_url, tmp_path_factory.mktemp("data")) as running:
        yield running


@pytest.fixture(scope="session")
def turn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TurnServer]:
    """Debian's coturn on loopback, with its own shared secret."""
    with coturn(Path(tmp_path_factory.mktemp("coturn"))) as server:
        yield server


@pytest.fixture
def db(server: RunningServer) -> Iterator[psycopg.Connection]:
    """A direct connection, to check what the service stored."""
    with psycopg.connect(server.database_url, autocommit=True) as connection:
        yield connection


@pytest.fixture
async def http(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
        yield client


@pytest.fixture
async def consultation(server: RunningServer, http: httpx.AsyncClient) -> Consultation:
    return await create_consultation(http, server.operator_key)


@pytest.fixture
async def participant(server: RunningServer) -> AsyncIterator[Callable[[], Participant]]:
    """Makes new clients, each with its own cookie jar; all are closed after the test."""
    made: list[Participant] = []

    def make() -> Participant:
        made.append(Participant(server.base_url, server.ws_url))
        return made[-1]

    yield make
    for client in made:
        await client.close()
