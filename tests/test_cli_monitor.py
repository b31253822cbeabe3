"""``hocovisio monitor kill|delete --before DATE`` and ``hocovisio stats``: the sysadmin's view."""

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from app.persistence.db import create_engine
from app.persistence.statements import Statements
from app.persistence.storage import LocalStorage
from app.services import onetoones
from tests.fresh_db import fresh_database


@pytest.fixture
def fresh_url(database_url: str) -> Iterator[str]:
    with fresh_database(database_url) as url:
        yield url


def hocovisio(url: str, data_dir: Path, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": url, "HOCOVISIO_DATA_DIR": str(data_dir)}
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


async def consultations_created_on(url: str, *days: str) -> list[int]:
    engine = create_engine(url)
    ids = []
    try:
        for _ in days:
            onetoone, _ = await onetoones.create(Statements(engine))
            ids.append(onetoone["id"])
    finally:
        await engine.dispose()
    with psycopg.connect(url, autocommit=True) as sql:
        for onetoone_id, day in zip(ids, days, strict=True):
            sql.execute("UPDATE onetoone SET created_at = %s WHERE id = %s", (day, onetoone_id))
    return ids


def add_document(sql: psycopg.Connection, data_dir: Path, onetoone_id: int) -> Path:
    key = secrets.token_urlsafe(24)
    path = LocalStorage(data_dir / "documents").path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"scan")
    sql.execute(
        "INSERT INTO document (onetoone_id, name, content_type, size, sha256, storage_key)"
        " VALUES (%s, 'scan.png', 'image/png', 4, %s, %s)",
        (onetoone_id, "0" * 64, key),
    )
    return path


async def test_kill_and_delete_before_a_date(fresh_url: str, tmp_path: Path):
    january, march, today = await consultations_created_on(
        fresh_url, "2026-01-15 10:00+00", "2026-03-01 10:00+00", datetime.now(UTC).isoformat()
    )
    sql = psycopg.connect(fresh_url, autocommit=True)
    file = add_document(sql, tmp_path, march)

    def state() -> dict[int, str]:
        return dict(sql.execute("SELECT id, status FROM onetoone").fetchall())

    dry = hocovisio(fresh_url, tmp_path, "monitor", "kill", "--before", "2026-02-01", "--dry-run")
    assert "would kill 1 consultation(s)" in dry
    assert f"  {january}\tactive" in dry
    assert state() == {january: "active", march: "active", today: "active"}

    out = hocovisio(fresh_url, tmp_path, "monitor", "kill", "--before", "2026-02-01")
    assert f"killed 1 consultation(s): {january}" in out
    assert state() == {january: "killed", march: "active", today: "active"}

    dry = hocovisio(fresh_url, tmp_path, "monitor", "delete", "--before", "2026-06-01", "--dry-run")
    assert "would delete 2 consultation(s)" in dry
    assert state() == {january: "killed", march: "active", today: "active"}
    assert file.exists()

    out = hocovisio(fresh_url, tmp_path, "monitor", "delete", "--before", "2026-06-01T00:00:00")
    assert f"killed 1 consultation(s): {march}" in out
    assert f"deleted 2 consultation(s): {january}, {march}" in out
    assert state() == {today: "active"}
    assert not file.exists()
    assert sql.execute("SELECT count(*) FROM session").fetchone() == (3,)
    events = sql.execute(
        "SELECT onetoone_id, event, detail->>'reason' FROM stats"
        " WHERE event IN ('killed', 'deleted') ORDER BY id"
    ).fetchall()
    assert events == [
        (january, "killed", "expired"),
        (march, "killed", "expired"),
        (january, "deleted", None),
        (march, "deleted", None),
    ]
    assert ("document.delete", "operator") in sql.execute(
        "SELECT action, role FROM audit WHERE onetoone_id = %s", (march,)
    ).fetchall()

    today_str = datetime.now(UTC).date().isoformat()
    counts = json.loads(
        hocovisio(fresh_url, tmp_path, "stats", "--from", today_str, "--to", today_str, "--json")
    )
    assert counts["from"] == counts["to"] == today_str
    assert {e: n for e, n in counts["events"].items() if n} == {
        "created": 3,
        "killed": 2,
        "deleted": 2,
    }
    table = hocovisio(fresh_url, tmp_path, "stats", "--from", today_str, "--to", today_str)
    assert f"{today_str}  deleted" in table
    sql.close()


def test_bad_dates_are_refused(fresh_url: str, tmp_path: Path):
    env = {**os.environ, "DATABASE_URL": fresh_url, "HOCOVISIO_DATA_DIR": str(tmp_path)}
    for args in (
        ["monitor", "kill", "--before", "soon"],
        ["monitor", "delete"],
        ["stats", "--from", "2026-13-01"],
        ["stats", "--from", "2026-02-02", "--to", "2026-02-01"],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True
        )
        assert result.returncode != 0, args
        assert result.stderr, args
