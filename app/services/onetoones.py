"""Creating, ending and deleting consultations."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, LiteralString, Protocol

from sqlalchemy import delete, func, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Refused
from app.persistence.models import ROLES, Document, OneToOne
from app.persistence.models._base import iso
from app.persistence.statements import Statements, jsonb
from app.persistence.storage import Storage
from app.realtime.broker import Broker, Event
from app.realtime.notices import published
from app.services import audit, stats, webhooks
from app.services.audit import OPERATOR, Actor
from app.services.tokens import new_token, same_secret

# The consultation, one session per role (ids in the order of ``ROLES``), its empty form and
# its stats row: one statement.
CREATE = """WITH created AS (
    INSERT INTO onetoone (token, status, e2ee, doctor_name)
    VALUES (%(token)s, 'active', %(e2ee)s, %(doctor_name)s)
    RETURNING id, token, status, created_at, updated_at, killed_at, e2ee, doctor_name
), sessions AS (
    INSERT INTO session (onetoone_id, token, role, token_onetime_used, validate_fromadmin,
                         state, admitted_at)
    SELECT created.id, t.token, t.role, 0, 1,
           CASE WHEN t.role = 'medecin' THEN 'admitted' ELSE 'new' END,
           CASE WHEN t.role = 'medecin' THEN now() END
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
       created.killed_at, created.e2ee, created.doctor_name, sessions.*
FROM created, sessions ORDER BY sessions.id"""


async def create(
    sql: Statements, e2ee: bool = False, doctor_name: str | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A new consultation with its form and one session for each role: their answers.
    ``e2ee``: its participants encrypt the media end to end; ``doctor_name``: what the
    patient's page calls the doctor."""
    params = {
        "token": new_token(),
        "tokens": [new_token() for _ in ROLES],
        "roles": list(ROLES),
        "e2ee": e2ee,
        "doctor_name": doctor_name,
    }
    rows = await sql.all(CREATE, params)
    first = rows[0]
    onetoone = {
        "id": first.onetoone_id,
        "token": first.onetoone_token,
        "status": first.status,
        "created_at": iso(first.onetoone_created_at),
        "updated_at": iso(first.onetoone_updated_at),
        "killed_at": iso(first.killed_at),
        "e2ee": first.e2ee,
        "doctor_name": first.doctor_name,
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


async def encrypted(db: AsyncSession, onetoone_id: int) -> bool:
    """Whether the consultation's media is encrypted end to end by its participants."""
    onetoone = await db.get(OneToOne, onetoone_id)
    return onetoone is not None and onetoone.e2ee


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


def _killing(target: LiteralString) -> LiteralString:
    """The CTEs that kill the active consultation whose id ``target`` (its SQL) gives, as
    ``kill`` describes: ``killed`` (its id, when this statement killed it) and ``documents``
    (the storage keys of the files to remove after the commit).

    The statement passes ``now`` (None for the database's time), ``detail`` (the stats row's
    ``{reason}``), ``reason``, and the actor's ``session_id`` and ``role``; the end is queued
    for the webhooks in the same statement. The rows beneath the consultation refer to
    ``killed``, so its row lock is taken first, in the order ``app.services.messages.lock_active``
    documents.
    """
    return (
        "killed AS (UPDATE onetoone SET status = 'killed',"
        " killed_at = coalesce(%(now)s::timestamptz, now()), updated_at = now()"
        " WHERE id = " + target + " AND status = 'active' RETURNING id"
        "), sessions_ended AS (UPDATE session SET state = 'ended', updated_at = now()"
        " WHERE onetoone_id IN (SELECT id FROM killed) AND state IN ('new', 'waiting', 'admitted')"
        "), messages AS (DELETE FROM message WHERE onetoone_id IN (SELECT id FROM killed)"
        "), documents AS (DELETE FROM document WHERE onetoone_id IN (SELECT id FROM killed)"
        " RETURNING id, onetoone_id, storage_key"
        "), audited AS (INSERT INTO audit (action, onetoone_id, session_id, role, document_id)"
        " SELECT 'document.delete', onetoone_id, %(session_id)s, %(role)s, id FROM documents"
        "), counted AS (INSERT INTO stats (event, onetoone_id, detail)"
        " SELECT 'killed', id, %(detail)s FROM killed"
        "), queued AS ("
        + webhooks.queued(
            "consultation.ended",
            "jsonb_build_object('onetoone_id', killed.id, 'reason', %(reason)s::text)",
            "killed",
        )
        + "), published AS ("
        + published(
            "killed.id",
            "consultationEnded",
            "NULL",
            "jsonb_build_object('reason', %(reason)s::text)",
            "killed",
            kind="'end'",
        )
        + ")"
    )


KILL = (
    "WITH "
    + _killing("%(onetoone_id)s")
    + " SELECT killed.id, documents.storage_key, (SELECT count(*) FROM published) AS published"
    " FROM killed LEFT JOIN documents ON true"
)

# ``DELETE /onetoone/<token>``: the consultation looked up by its token and, when the caller
# may end it (``may_end``, and ``own`` is its own consultation or None for the operator),
# killed in the same statement.
END_BY_TOKEN = (
    "WITH target AS (SELECT id, token, status FROM onetoone WHERE token = %(token)s), "
    + _killing(
        "(SELECT id FROM target WHERE %(may_end)s"
        " AND (%(own)s::integer IS NULL OR id = %(own)s::integer))"
    )
    + " SELECT target.id, target.token, killed.id AS killed, documents.storage_key,"
    " (SELECT count(*) FROM published) AS published"
    " FROM target LEFT JOIN killed ON true LEFT JOIN documents ON true"
)


def _kill_params(reason: str, actor: Actor, now: datetime | None) -> dict[str, Any]:
    return {
        "now": now,
        "detail": jsonb({"reason": reason}),
        "reason": reason,
        "session_id": actor.session_id,
        "role": actor.role,
    }


async def kill(
    db: AsyncSession,
    onetoone_id: int,
    storage: Storage,
    reason: str,
    actor: Actor,
    now: datetime | None = None,
) -> bool:
    """Mark the consultation killed and remove its messages, documents and their files.

    The one way to end a consultation, with ``end_on_request``: one statement, in ``db``'s
    transaction (the monitor holds the consultation's row there), then the commit. Its end
    is published in that statement: at the commit, every serving instance closes the
    consultation's sockets and media room. Its conditional UPDATE decides: of two callers
    racing (two monitors, a monitor and ``DELETE /onetoone``) only one kills, so ``killed`` is
    counted once. False when the consultation was not active.
    """
    connection = await db.connection()
    params = {"onetoone_id": onetoone_id, **_kill_params(reason, actor, now)}
    rows = (await connection.exec_driver_sql(KILL, params)).all()
    if not rows:
        await db.rollback()
        return False
    await db.commit()
    _remove_files(storage, [row.storage_key for row in rows if row.storage_key is not None])
    return True


class RoomCloser(Protocol):
    def close_room(self, onetoone_id: int) -> None: ...


@dataclass(frozen=True)
class Live:
    """A serving instance's side of its consultations: the sockets and the media rooms."""

    broker: Broker
    rooms: RoomCloser

    def close(self, onetoone_id: int, reason: str) -> None:
        """Tell the sockets here that the consultation ended, close them and its media room.
        For one found ended after this instance missed its end (``monitor.refresh_live``)."""
        self.broker.end(onetoone_id, Event("consultationEnded", {"reason": reason}))
        self.rooms.close_room(onetoone_id)


async def end_on_request(
    sql: Statements,
    token: str,
    actor: Actor,
    actor_onetoone_id: int | None,
    storage: Storage,
) -> None:
    """``DELETE /onetoone/<token>``: the operator ends any consultation, a participant
    (``actor_onetoone_id``) only their own and only as its doctor. Ending an ended one is
    not an error. One statement looks the consultation up and, when the caller may, ends it."""
    operator = actor.role == OPERATOR
    params = {
        "token": token,
        "may_end": operator or (actor.role == "medecin" and actor_onetoone_id is not None),
        "own": None if operator else actor_onetoone_id,
        **_kill_params("killed", actor, None),
    }
    rows = await sql.all(END_BY_TOKEN, params)
    target = rows[0] if rows and same_secret(token, rows[0].token) else None
    if not operator:
        if target is None or target.id != actor_onetoone_id:
            raise Refused(403, "not your consultation")
        if actor.role != "medecin":
            raise Refused(403, "only the doctor can end the consultation")
    if target is None:
        raise Refused(404, "consultation not found")
    if target.killed is not None:
        _remove_files(storage, [row.storage_key for row in rows if row.storage_key is not None])


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
