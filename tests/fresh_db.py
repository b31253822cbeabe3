"""A database of its own, on the tests' PostgreSQL, for tests that move the clock.

The monitor ends or deletes every consultation that matches; on the shared database it would
also take those of other tests (and a server with a short max age would end them).
"""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import psycopg

from app.persistence.db import migrate


@contextmanager
def fresh_database(database_url: str) -> Iterator[str]:
    """The URL of a new, migrated database; dropped afterwards."""
    name = "hocovisio_" + secrets.token_hex(6)
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = urlsplit(database_url)._replace(path="/" + name).geturl()
    try:
        migrate(url)
        yield url
    finally:
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
