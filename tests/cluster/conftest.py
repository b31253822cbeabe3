"""Several ``hocovisio run`` instances on one PostgreSQL, as behind a load balancer.

Each has its own port, RTC ports and data directory; they share the database, the operator
key and the documents' folder (``HOCOVISIO_STORAGE_DIR``), and nothing else.
"""

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.fresh_db import fresh_database
from tests.server import RunningServer, instances

LEASE = 2.0  # seconds: an instance killed is removed about this long after, in these tests


@pytest.fixture(scope="module")
def cluster_url(database_url: str) -> Iterator[str]:
    with fresh_database(database_url) as url:
        yield url


@pytest.fixture(scope="module")
def pair(
    cluster_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[RunningServer]]:
    """Two instances, A and B, sharing one database."""
    with instances(cluster_url, tmp_path_factory.mktemp("cluster"), 2, lease=LEASE) as running:
        yield running


@pytest.fixture
def more_instances(
    database_url: str, tmp_path: Path
) -> Iterator[Callable[..., list[RunningServer]]]:
    """Starts instances on a database of their own, for one test (to kill one, or to give
    them settings of their own); stopped after."""
    with ExitStack() as stack:

        def start(count: int, **env: str) -> list[RunningServer]:
            url = stack.enter_context(fresh_database(database_url))
            return stack.enter_context(instances(url, tmp_path, count, env, lease=LEASE))

        yield start
