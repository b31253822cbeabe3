"""The monitor's rules, on a database of the test's own, with the clock in the test's hands."""

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.persistence.db import create_engine, session_factory
from app.persistence.models import OneToOne
from app.persistence.statements import Statements
from app.persistence.storage import LocalStorage
from app.services import monitor, onetoones
from app.services.audit import OPERATOR, Actor
from app.services.monitor import Policy

POLICY = Policy(
    max_age=timedelta(hours=12),
    idle_timeout=timedelta(hours=2),
    retention=timedelta(days=30),
    audit_retention=timedelta(days=365),
)
MINUTE = timedelta(minutes=1)

Sessions = async_sessionmaker[AsyncSession]


async def create(sessions: Sessions) -> int:
    onetoone, _ = await onetoones.create(Statements(sessions.kw["bind"]))
    return onetoone["id"]


async def run(sessions: Sessions, now: datetime, storage: LocalStorage) -> monitor.Report:
    async with sessions() as db:
        return await monitor.run(db, POLICY, storage, now)


def created_at(sql: psycopg.Connection, onetoone_id: int) -> datetime:
    return sql.execute("SELECT created_at FROM onetoone WHERE id = %s", (onetoone_id,)).fetchone()[
        0
    ]


def stats_of(sql: psycopg.Connection, onetoone_id: int) -> list[tuple[str, str | None]]:
    return sql.execute(
        "SELECT event, detail->>'reason' FROM stats WHERE onetoone_id = %s ORDER BY id",
        (onetoone_id,),
    ).fetchall()


def add_document(sql: psycopg.Connection, storage: LocalStorage, onetoone_id: int) -> Path:
    """A document row and its file, as an upload leaves them."""
    key = secrets.token_urlsafe(24)
    path = storage.path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF-1.4 scan")
    document_id = sql.execute(
        "INSERT INTO document (onetoone_id, name, content_type, size, sha256, storage_key)"
        " VALUES (%s, 'scan.pdf', 'application/pdf', 13, %s, %s) RETURNING id",
        (onetoone_id, "0" * 64, key),
    ).fetchone()[0]
    sql.execute(
        "INSERT INTO message (onetoone_id, kind, document_id) VALUES (%s, 'document', %s)",
        (onetoone_id, document_id),
    )
    return path


async def test_expired_and_idle_consultations_are_killed_when_their_time_comes(
    sessions: Sessions, sql: psycopg.Connection, tmp_path: Path
):
    storage = LocalStorage(tmp_path)
    busy, quiet = await create(sessions), await create(sessions)
    t0 = max(created_at(sql, busy), created_at(sql, quiet))
    # The busy one keeps being used until 11 h after its creation.
    sql.execute(
        "UPDATE onetoone SET last_activity_at = %s WHERE id = %s", (t0 + timedelta(hours=11), busy)
    )

    assert not await run(sessions, t0 + timedelta(hours=2) - MINUTE, storage)
    report = await run(sessions, t0 + timedelta(hours=2) + MINUTE, storage)
    assert report.killed == {quiet: "idle"}
    assert not await run(sessions, t0 + timedelta(hours=12) - MINUTE, storage)
    report = await run(sessions, t0 + timedelta(hours=12) + MINUTE, storage)
    assert report.killed == {busy: "expired"}

    assert stats_of(sql, quiet) == [("created", None), ("killed", "idle")]
    assert stats_of(sql, busy) == [("created", None), ("killed", "expired")]
    rows = sql.execute("SELECT id, status, killed_at FROM onetoone ORDER BY id").fetchall()
    assert rows == [
        (busy, "killed", t0 + timedelta(hours=12) + MINUTE),
        (quiet, "killed", t0 + timedelta(hours=2) + MINUTE),
    ]


async def test_killed_consultations_are_deleted_with_everything_after_the_retention_period(
    sessions: Sessions, sql: psycopg.Connection, tmp_path: Path
):
    storage = LocalStorage(tmp_path)
    gone, kept = await create(sessions), await create(sessions)
    kill_time = created_at(sql, kept) + timedelta(hours=13)
    await run(sessions, kill_time, storage)
    # A document left on a killed consultation (killing removes them: this one came late).
    late_file = add_document(sql, storage, gone)
    sql.execute(
        "UPDATE onetoone SET killed_at = killed_at + interval '1 day' WHERE id = %s", (kept,)
    )

    assert not (await run(sessions, kill_time + timedelta(days=30) - MINUTE, storage)).deleted
    report = await run(sessions, kill_time + timedelta(days=30) + MINUTE, storage)
    assert report.deleted == [gone]

    assert not late_file.exists()
    for table in ("onetoone", "session", "medical_info", "message", "document"):
        column = "id" if table == "onetoone" else "onetoone_id"
        count = sql.execute(f"SELECT count(*) FROM {table} WHERE {column} = %s", (gone,))
        assert count.fetchone() == (0,), table
    assert (
        sql.execute("SELECT count(*) FROM session WHERE onetoone_id = %s", (kept,)).fetchone()[0]
        == 3
    )
    assert [event for event, _ in stats_of(sql, gone)] == ["created", "killed", "deleted"]
    assert sql.execute(
        "SELECT action, role, session_id FROM audit WHERE onetoone_id = %s ORDER BY id", (gone,)
    ).fetchall() == [("form.delete", "monitor", None), ("document.delete", "monitor", None)]


async def test_killing_removes_messages_documents_and_their_files(
    sessions: Sessions, sql: psycopg.Connection, tmp_path: Path
):
    storage = LocalStorage(tmp_path)
    onetoone_id = await create(sessions)
    path = add_document(sql, storage, onetoone_id)
    sql.execute(
        "INSERT INTO message (onetoone_id, kind, body) VALUES (%s, 'text', 'hi')", (onetoone_id,)
    )

    report = await run(sessions, created_at(sql, onetoone_id) + timedelta(hours=13), storage)

    assert report.killed == {onetoone_id: "expired"}
    assert not path.exists()
    for table in ("message", "document"):
        count = sql.execute(f"SELECT count(*) FROM {table} WHERE onetoone_id = %s", (onetoone_id,))
        assert count.fetchone() == (0,)
    assert sql.execute(
        "SELECT action, role FROM audit WHERE onetoone_id = %s", (onetoone_id,)
    ).fetchall() == [("document.delete", "monitor")]


async def test_a_consultation_is_killed_once_whoever_tries(
    sessions: Sessions, sql: psycopg.Connection, tmp_path: Path
):
    storage = LocalStorage(tmp_path)
    onetoone_id = await create(sessions)
    async with sessions() as db:
        assert await onetoones.kill(db, onetoone_id, storage, "killed", Actor(OPERATOR))
        assert not await onetoones.kill(db, onetoone_id, storage, "killed", Actor(OPERATOR))
    assert not await run(sessions, created_at(sql, onetoone_id) + timedelta(hours=13), storage)
    assert stats_of(sql, onetoone_id) == [("created", None), ("killed", "killed")]


async def test_racing_monitors_never_process_a_consultation_twice(
    fresh_url: str, sessions: Sessions, sql: psycopg.Connection, tmp_path: Path
):
    storage = LocalStorage(tmp_path)
    ids = [await create(sessions) for _ in range(30)]
    now = max(created_at(sql, i) for i in ids) + timedelta(hours=13)
    engines = [create_engine(fresh_url) for _ in range(3)]  # three instances, three pools
    try:
        factories = [session_factory(engine) for engine in engines]
        killed = await asyncio.gather(*(run(f, now, storage) for f in factories))
        later = now + timedelta(days=31)
        deleted = await asyncio.gather(*(run(f, later, storage) for f in factories))
    finally:
        for engine in engines:
            await engine.dispose()

    killed_ids = [i for report in killed for i in report.killed]
    assert sorted(killed_ids) == ids
    deleted_ids = [i for report in deleted for i in report.deleted]
    assert sorted(deleted_ids) == ids
    counts = sql.execute(
        "SELECT event, onetoone_id, count(*) FROM stats WHERE event IN ('killed', 'deleted')"
        " GROUP BY event, onetoone_id"
    ).fetchall()
    assert {(event, count) for event, _, count in counts} == {("killed", 1), ("deleted", 1)}
    assert len(counts) == 2 * len(ids)


async def test_audit_rows_are_purged_after_their_own_retention_period(
    sessions: Sessions, sql: psycopg.Connection, tmp_path: Path
):
    sql.execute(
        "INSERT INTO audit (action, onetoone_id, role, created_at) VALUES"
        " ('form.read', 1, 'operator', now() - interval '366 days'),"
        " ('form.read', 1, 'operator', now() - interval '364 days')"
    )
    report = await run(sessions, datetime.now(UTC), LocalStorage(tmp_path))
    assert report.audit_purged == 1
    assert sql.execute("SELECT count(*) FROM audit").fetchone() == (1,)


async def test_live_consultations_are_kept_active_and_those_ended_elsewhere_reported(
    sessions: Sessions, sql: psycopg.Connection, tmp_path: Path
):
    live, ended = await create(sessions), await create(sessions)
    now = created_at(sql, live) + timedelta(hours=3)
    async with sessions() as db:
        await onetoones.kill(db, ended, LocalStorage(tmp_path), "expired", Actor(OPERATOR))
        assert await monitor.refresh_live(db, [live, ended, 999_999], now) == {
            ended: "expired",
            999_999: "killed",
        }
    assert sql.execute(
        "SELECT last_activity_at FROM onetoone WHERE id = %s", (live,)
    ).fetchone() == (now,)
    # An open socket is activity: the live consultation is not idle 3 h after its creation.
    assert not (await run(sessions, now + MINUTE, LocalStorage(tmp_path))).killed


async def test_a_consultation_held_a_moment_by_another_transaction_is_still_ended(
    fresh_url: str, sessions: Sessions, tmp_path: Path
):
    """A request noting its activity holds the consultation's row for a moment: the
    monitor (and ``hocovisio monitor kill``) waits for it instead of skipping it."""
    storage = LocalStorage(tmp_path)
    onetoone_id = await create(sessions)
    with psycopg.connect(fresh_url) as holder:
        holder.execute("SELECT id FROM onetoone WHERE id = %s FOR UPDATE", (onetoone_id,))
        release = asyncio.get_running_loop().call_later(0.2, holder.commit)
        try:
            async with sessions() as db:
                condition = OneToOne.id == onetoone_id
                killed = await monitor.kill_where(
                    db, condition, "expired", Actor(OPERATOR), storage, datetime.now(UTC)
                )
        finally:
            release.cancel()
    assert killed == [onetoone_id]
