"""The monitor: ends stale consultations, deletes old killed ones, purges the audit trail.

Several instances may run it at once. Each consultation is taken with ``FOR UPDATE SKIP
LOCKED``, one per transaction, and ended or deleted by a conditional statement, so no two
monitors process the same consultation and each is counted ``killed``/``deleted`` once; one
skipped because its row was held is looked for again a moment later.
Every function takes ``now``, so that tests (and the command line) control the clock.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config.settings import Settings
from app.persistence.models import OneToOne, Stats
from app.persistence.storage import Storage
from app.services import audit, onetoones
from app.services.audit import MONITOR, Actor


@dataclass(frozen=True)
class Policy:
    max_age: timedelta
    idle_timeout: timedelta
    retention: timedelta
    audit_retention: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> "Policy":
        return cls(
            max_age=settings.consultation_max_age,
            idle_timeout=settings.consultation_idle_timeout,
            retention=settings.retention_period,
            audit_retention=settings.audit_retention_period,
        )


@dataclass
class Report:
    killed: dict[int, str] = field(default_factory=dict)  # consultation id -> reason
    deleted: list[int] = field(default_factory=list)
    audit_purged: int = 0

    def __bool__(self) -> bool:
        return bool(self.killed or self.deleted or self.audit_purged)


# A consultation skipped because another transaction held its row is looked for again this
# many times, this far apart: the holder is most often a request noting its activity, done in
# milliseconds, and an operator's ``monitor kill`` must not miss it for that.
LOCKED_RETRIES = 10
LOCKED_RETRY_DELAY = 0.05


async def _next(db: AsyncSession, status: str, condition: ColumnElement[bool]) -> int | None:
    """Lock one consultation matching, skipping those another transaction holds; when all
    that match are held, wait a moment and look again (another monitor ending one holds it
    until it is ended, and it then no longer matches)."""
    retries = 0
    while True:
        locked = (
            await db.exec(
                select(OneToOne.id)
                .where(OneToOne.status == status, condition)
                .order_by(OneToOne.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
        ).first()
        if locked is not None or retries == LOCKED_RETRIES:
            return locked
        matching = (
            await db.exec(select(OneToOne.id).where(OneToOne.status == status, condition).limit(1))
        ).first()
        if matching is None:
            return None
        retries += 1
        await asyncio.sleep(LOCKED_RETRY_DELAY)


async def kill_where(
    db: AsyncSession,
    condition: ColumnElement[bool],
    reason: str,
    actor: Actor,
    storage: Storage,
    now: datetime,
) -> list[int]:
    """End every active consultation matching ``condition``; return their ids."""
    killed = []
    while (onetoone_id := await _next(db, "active", condition)) is not None:
        if await onetoones.kill(db, onetoone_id, storage, reason, actor, now):
            killed.append(onetoone_id)
    await db.rollback()
    return killed


async def delete_where(
    db: AsyncSession, condition: ColumnElement[bool], actor: Actor, storage: Storage
) -> list[int]:
    """Delete every killed consultation matching ``condition``; return their ids."""
    deleted = []
    while (onetoone_id := await _next(db, "killed", condition)) is not None:
        if await onetoones.delete_killed(db, onetoone_id, storage, actor):
            deleted.append(onetoone_id)
    await db.rollback()
    return deleted


async def run(
    db: AsyncSession,
    policy: Policy,
    storage: Storage,
    now: datetime | None = None,
) -> Report:
    """One pass: end expired then idle consultations, delete old killed ones, purge audit."""
    now = now or datetime.now(UTC)
    actor = Actor(MONITOR)
    report = Report()
    for reason, condition in (
        ("expired", OneToOne.created_at < now - policy.max_age),
        ("idle", OneToOne.last_activity_at < now - policy.idle_timeout),
    ):
        for onetoone_id in await kill_where(db, condition, reason, actor, storage, now):
            report.killed[onetoone_id] = reason
    old = OneToOne.killed_at < now - policy.retention
    report.deleted = await delete_where(db, old, actor, storage)
    report.audit_purged = await audit.purge(db, now - policy.audit_retention)
    await db.commit()
    return report


async def refresh_live(
    db: AsyncSession, onetoone_ids: Sequence[int], now: datetime | None = None
) -> dict[int, str]:
    """Keep a serving instance's live consultations in step with the database.

    An open socket is activity: the consultations in ``onetoone_ids`` (those with a socket on
    this instance) are touched, so a long call is never idle. Those no longer active were
    ended elsewhere (another instance, the command line): they are returned with the reason
    they ended for, so that the caller closes their sockets and media room.
    """
    if not onetoone_ids:
        return {}
    active = set(
        (
            await db.exec(
                update(OneToOne)
                .where(col(OneToOne.id).in_(onetoone_ids), OneToOne.status == "active")
                .values(last_activity_at=now or datetime.now(UTC))
                .returning(OneToOne.id)
            )
        ).scalars()
    )
    ended = [i for i in onetoone_ids if i not in active]
    reasons: dict[int, Any] = {}
    if ended:
        rows = await db.exec(
            select(Stats.onetoone_id, col(Stats.detail)["reason"].astext).where(
                Stats.event == "killed", col(Stats.onetoone_id).in_(ended)
            )
        )
        reasons = dict(rows.all())
    await db.commit()
    return {i: reasons.get(i) or "killed" for i in ended}
