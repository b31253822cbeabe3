"""``/readyz`` answers 503 naming what is not ready, and 200 again once it is back."""

from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg

from tests.fresh_db import fresh_database
from tests.server import hocovisio


async def test_readyz_names_the_failed_checks_and_recovers(database_url: str, tmp_path: Path):
    with fresh_database(database_url) as url, hocovisio(url, tmp_path / "data") as server:
        name = urlsplit(url).path.lstrip("/")
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
            assert (await http.get("/readyz")).status_code == 200

            # The schema is behind the code (a half-done upgrade).
            with psycopg.connect(url, autocommit=True) as sql:
                (head,) = sql.execute("SELECT version_num FROM alembic_version").fetchone()
                sql.execute("UPDATE alembic_version SET version_num = '0002'")
                behind = await http.get("/readyz")
                sql.execute("UPDATE alembic_version SET version_num = %s", (head,))
            assert behind.status_code == 503
            assert behind.json()["failed"] == ["migrations"]
            assert "database at ['0002']" in behind.json()["checks"]["migrations"]
            assert (await http.get("/readyz")).status_code == 200

            # The database refuses the service's connections.
            with psycopg.connect(database_url, autocommit=True) as admin:
                admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (name,),
                )
                try:
                    gone = await http.get("/readyz")
                finally:
                    admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
            assert gone.status_code == 503
            assert gone.json()["failed"] == ["database", "migrations"]
            assert gone.json()["checks"]["database"].startswith("unreachable")
            assert gone.json()["status"] == "unavailable"
            assert (await http.get("/readyz")).status_code == 200
