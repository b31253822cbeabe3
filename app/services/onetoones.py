"""Creating, ending and deleting consultations."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, LiteralString, Protocol

from sqlalchemy import delete, func, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Refused
from app.persistence.models import ROLES, Document, Message, OneToOne
from app.persistence.models._base import iso
from app.persistence.statements import Statements
from app.persistence.storage import Storage
from app.realtime.broker import Broker, Event
from app.services import audit, stats
from app.services.audit import OPERATOR, Actor
from app.services.tokens import new_token, same_secret

# The consultation, one session per role (ids in the order of ``ROLES``), its empty form and
# its stats row: one statement.
CREATE = """WITH created AS (
    INSERT INTO onetoone (token, status) VALUES (%(token)s, 'active')
    RETURNING id, token, status, created_at, updated_at, killed_at
), sessions AS (
    INSERT INTO session (onetoone_id, token, role, token_onetime_used, validate_fromadmin)
    SELECT created.id, t.token, t.role, 0, 1
    FROM created, unnest(%(tokens)s::text[], %(roles)s::text[]) WITH ORDINALITY AS t(token, role, n)
    ORDER BY t.n
    RETURNING id, token, role, token_onetime_used, validate_fromadmin, created_at, updated_at
), form AS (
    INSERT INTO medical_info (onetoone_id, data) SELECT id, '{}' FROM created
), counted AS (
    INSERT INTO stats (event, onetoone_id, detail) SELECT 'created', id, '{}' FROM created
)
SELECT created.id AS onetoone_id, created.token AS onetoone_token, created.status,
       created.created_at AS onetoone_created_at, created.updated_at AS onetoone_updated_at,
       created.killed_at, sessions.*
FROM created, sessions ORDER BY sessions.id"""


async def create(sql: Statements) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A new consultation with its form and one session for each role: their answers."""
    params = {"token": new_token(), "tokens": [new_token() for _ in ROLES], "roles": list(ROLES)}
    rows = await sql.all(CREATE, params)
    first = rows[0]
    onetoone = {
        "id": first.onetoone_id,
        "token": first.onetoone_token,
        "status": first.status,
        "created_at": iso(first.onetoone_created_at),
        "updated_at": iso(first.onetoone_updated_at),
        "killed_at": iso(first.killed_at),
    }
    sessions = [
        {
            "id": row.id,
            "token": row.token,
            "onetoone_token": row.onetoone_token,
            "role": row.role,
            "token_onetime_used": row.token_onetime_used,
            "validate_fromadmin": row.validate_fromadmin,
            "created_at": iso(row.created_at),
            "updated_at": iso(row.updated_at),
        }
        for row in rows
    ]
    return onetoone, sessions


async def find(db: AsyncSession, token: str) -> OneToOne | None:
    onetoone = (await db.exec(select(OneToOne).where(OneToOne.token == token))).first()
    if onetoone is None or not same_secret(token, onetoone.token):
        return None
    return onetoone


def _remove_files(storage: Storage, keys: Sequence[str]) -> None:
    """After the commit: a crash in between leaves an orphan file, never a dangling row."""
    for key in keys:
        storage.delete(key)


ACTIVITY_RESOLUTION = timedelta(seconds=30)


async def touch(db: AsyncSession, onetoone_id: int) -> None:
    """Note activity on an active consultation (the monitor ends idle ones). The caller commits.

    Only a time older than ``ACTIVITY_RESOLUTION`` is rewritten, so the consultation's row is
    not a hot spot written by every request: a fresh time is read and nothing is locked.
    Call it first in a transaction, before any other lock on the consultation: the row lock it
    may take is then the first one, in the same order for every transaction (see
    ``app.services.messages.lock_active``), and concurrent requests cannot deadlock on it.
    """
    await db.exec(
        update(OneToOne)
        .where(
            OneToOne.id == onetoone_id,
            OneToOne.status == "active",
            OneToOne.last_activity_at < func.now() - ACTIVITY_RESOLUTION,
        )
        .values(last_activity_at=func.now())
    )


def touched(onetoone_id: LiteralString) -> LiteralString:
    """``touch`` as the body of a data-modifying CTE (``touched AS (...)``), for one statement
    that does more. ``onetoone_id`` is its SQL (a parameter, a subquery); the statement passes
    ``resolution=ACTIVITY_RESOLUTION``.

    PostgreSQL runs a statement's CTEs in no set order: a CTE that locks rows beneath the
    consultation refers to ``touched`` (``(SELECT count(*) FROM touched) >= 0``), so that
    the consultation's row lock, when this takes it, comes first.
    """
    return (
        "UPDATE onetoone SET last_activity_at = now(), updated_at = now()"
        " WHERE id = "
        + onetoone_id
        + " AND status = 'active' AND last_activity_at < now() - %(resolution)s::interval"
        " RETURNING id"
    )


NOTE_ACTIVITY = "WITH touched AS (" + touched("%(onetoone_id)s") + ") SELECT 1"


async def note_activity(sql: Statements, onetoone_id: int) -> None:
    """``touch`` in a statement of its own: a socket of the consultation connected or left."""
    await sql.one(NOTE_ACTIVITY, {"onetoone_id": onetoone_id, "resolution": ACTIVITY_RESOLUTION})


async def kill(
    db: AsyncSession,
    onetoone_id: int,
    storage: Storage,
    reason: str,
    actor: Actor,
    now: datetime | None = None,
) -> bool:
    """Mark the consultation killed and remove its messages, documents and their files.

    One conditional UPDATE decides: of two callers racing (two monitors, a monitor and
    ``DELETE /onetoone``) only one kills, so ``killed`` is counted once. False when the
    consultation was not active.
    """
    killed = (
        await db.exec(
            update(OneToOne)
            .where(OneToOne.id == onetoone_id, OneToOne.status == "active")
            .values(status="killed", killed_at=now or datetime.now(UTC))
            .returning(OneToOne.id)
        )
    ).first()
    if killed is None:
        await db.rollback()
        return False
    documents = (
        await db.exec(
            select(Document.id, Document.storage_key).where(Document.onetoone_id == onetoone_id)
        )
    ).all()
    await db.exec(delete(Message).where(Message.onetoone_id == onetoone_id))
    await db.exec(delete(Document).where(Document.onetoone_id == onetoone_id))
    for document_id, _ in documents:
        audit.record_by(db, "document.delete", onetoone_id, actor, document_id)
    stats.record(db, "killed", onetoone_id, detail={"reason": reason})
    await db.commit()
    _remove_files(storage, [key for _, key in documents])
    return True


class RoomCloser(Protocol):
    def close_room(self, onetoone_id: int) -> None: ...


@dataclass(frozen=True)
class Live:
    """A serving instance's side of its consultations: the sockets and the media rooms."""

    broker: Broker
    rooms: RoomCloser

    def close(self, onetoone_id: int, reason: str) -> None:
        """Tell every socket the consultation ended, close them, and close the media room."""
        self.broker.end(onetoone_id, Event("consultationEnded", {"reason": reason}))
        self.rooms.close_room(onetoone_id)


async def end(
    db: AsyncSession,
    onetoone_id: int,
    reason: str,
    actor: Actor,
    storage: Storage,
    live: Live | None,
    now: datetime | None = None,
) -> bool:
    """Kill the consultation and close its sockets and media room: the one way to end one.

    ``DELETE /onetoone``, the monitor and the command line all come here. ``live`` is None
    outside a serving instance (the command line); the serving instances then close the
    consultation's sockets on their next monitor run (``app.services.monitor.refresh_live``).
    """
    if not await kill(db, onetoone_id, storage, reason, actor, now):
        return False
    if live is not None:
        live.close(onetoone_id, reason)
    return True


async def end_on_request(
    db: AsyncSession,
    token: str,
    actor: Actor,
    actor_onetoone_id: int | None,
    storage: Storage,
    live: Live,
) -> None:
    """``DELETE /onetoone/<token>``: the operator ends any consultation, a participant
    (``actor_onetoone_id``) only their own and only as its doctor. Ending an ended one is
    not an error."""
    onetoone = await find(db, token)
    if actor.role != OPERATOR:
        if onetoone is None or actor_onetoone_id != onetoone.id:
            raise Refused(403, "not your consultation")
        if actor.role != "medecin":
            raise Refused(403, "only the doctor can end the consultation")
    if onetoone is None:
        raise Refused(404, "consultation not found")
    if onetoone.status == "active":
        assert onetoone.id is not None
        await end(db, onetoone.id, "killed", actor, storage, live)


async def delete_killed(db: AsyncSession, onetoone_id: int, storage: Storage, actor: Actor) -> bool:
    """Delete a killed consultation with its sessions, form, messages, documents and files.

    The foreign keys cascade from ``onetoone``; stats and audit rows stay. False when the
    consultation is not killed (active, or already deleted).
    """
    locked = (
        await db.exec(
            select(OneToOne.id)
            .where(OneToOne.id == onetoone_id, OneToOne.status == "killed")
            .with_for_update()
        )
    ).first()
    if locked is None:
        await db.rollback()
        return False
    documents = (
        await db.exec(
            select(Document.id, Document.storage_key).where(Document.onetoone_id == onetoone_id)
        )
    ).all()
    await db.exec(delete(OneToOne).where(OneToOne.id == onetoone_id))
    audit.record_by(db, "form.delete", onetoone_id, actor)
    for document_id, _ in documents:
        audit.record_by(db, "document.delete", onetoone_id, actor, document_id)
    stats.record(db, "deleted", onetoone_id)
    await db.commit()
    _remove_files(storage, [key for _, key in documents])
    return True
