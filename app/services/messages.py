"""Chat messages of a consultation: posting text, and reading the history page by page.

Text is stored exactly as sent and only ever returned inside JSON; nothing interprets it.
"""

from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Refused
from app.persistence.models import Document, Message, OneToOne
from app.persistence.models._base import iso
from app.persistence.statements import Statements
from app.realtime.notices import published
from app.services.onetoones import ACTIVITY_RESOLUTION, touched
from app.services.sessions import (
    CALLER,
    CALLER_COLUMNS,
    STILL_ADMITTED,
    admitted,
    caller_of,
    credential_param,
)


async def lock_active(db: AsyncSession, onetoone_id: int, exclusive: bool = False) -> bool:
    """Lock the consultation's row if it is still active; False once it has been ended.

    Ending a consultation updates that row, so a message or document added under this lock
    is either removed by the end or refused because of it, never left behind.

    The lock order of every transaction is: the consultation's row first (``touch``, then
    this; or, in one statement, ``POST_TEXT``'s lock then its touch), then rows beneath it.
    ``exclusive`` (``FOR NO KEY UPDATE``) makes writers of one consultation take turns, so
    that their ids follow their commits and their events go out in the order of the ids; it
    does not block the inserts elsewhere that merely reference the row.
    """
    statement = (
        select(OneToOne.id)
        .where(OneToOne.id == onetoone_id, OneToOne.status == "active")
        .with_for_update(read=not exclusive, key_share=exclusive)
    )
    return (await db.exec(statement)).first() is not None


def check_text(text: str, max_chars: int) -> None:
    if not text.strip():
        raise Refused(400, "the message is empty")
    if len(text) > max_chars:
        raise Refused(413, f"the message is longer than {max_chars} characters")
    if "\x00" in text:
        raise Refused(400, "the message contains a NUL character")


def public(message: Message, document: Document | None) -> dict[str, Any]:
    return {**message.public(), "document": document.public() if document else None}


# Lock the consultation's row if it is still active (``lock_active``, exclusive), note the
# activity on it, add the message: one statement. Nothing is inserted once the consultation
# has ended, or once its author is out of it (replaced: its socket may not know yet).
POST_TEXT = (
    """WITH locked AS (
    SELECT id FROM onetoone WHERE id = %(onetoone_id)s AND status = 'active' AND """
    + STILL_ADMITTED
    + """ FOR NO KEY UPDATE
), touched AS ("""
    + touched("(SELECT id FROM locked)")
    + """), posted AS (
    INSERT INTO message (onetoone_id, session_id, kind, body)
    SELECT id, %(session_id)s::integer, 'text', %(text)s::text FROM locked
    RETURNING id, kind, body, session_id, document_id, created_at, onetoone_id
), published AS ("""
    + published(
        "posted.onetoone_id",
        "newMessage",
        "jsonb_build_object('except', posted.session_id)",
        "jsonb_build_object('message', jsonb_build_object('id', posted.id, 'kind', posted.kind,"
        " 'body', posted.body, 'session_id', posted.session_id,"
        " 'document_id', posted.document_id, 'created_at', hocovisio_iso(posted.created_at),"
        " 'document', NULL))",
        "posted",
    )
    + """)
SELECT posted.*, (SELECT count(*) FROM published) AS published FROM posted"""
)


async def post_text(
    sql: Statements, onetoone_id: int, session_id: int, text: str, max_chars: int
) -> dict[str, Any]:
    """Store a text message, publish it as ``newMessage`` to the other participants, return it.

    The statement's lock of the consultation's row makes writers take turns, and the event
    goes out at its commit: the events of its messages go out in the order of their ids.
    """
    check_text(text, max_chars)
    params = {
        "onetoone_id": onetoone_id,
        "session_id": session_id,
        "text": text,
        "resolution": ACTIVITY_RESOLUTION,
    }
    row = await sql.one(POST_TEXT, params)
    if row is None:
        raise Refused(401, "session not valid")
    return _public_row(row)


def _public_row(row: Any) -> dict[str, Any]:
    """``public`` of a text message, from its columns as ``POST_TEXT`` returns them."""
    return {
        "id": row.id,
        "kind": row.kind,
        "body": row.body,
        "session_id": row.session_id,
        "document_id": row.document_id,
        "created_at": iso(row.created_at),
        "document": None,
    }


# The caller, then a page of its consultation's history (newest first, one more than asked
# to know whether older ones remain), with each message's document.
PAGE = (
    "WITH "
    + CALLER
    + " SELECT "
    + CALLER_COLUMNS
    + """, page.* FROM caller LEFT JOIN LATERAL (
    SELECT m.id, m.kind, m.body, m.session_id AS author_id, m.document_id, m.created_at,
           d.name, d.content_type, d.size, d.sha256, d.session_id AS document_session_id,
           d.created_at AS document_created_at
    FROM message m LEFT JOIN document d ON d.id = m.document_id
    WHERE m.onetoone_id = caller.onetoone_id AND NOT caller.pending
      AND m.id < coalesce(%(before)s::integer, 2147483647)
    ORDER BY m.id DESC
    LIMIT %(limit)s::integer + 1
) AS page ON true"""
)


async def page(
    sql: Statements, credential: str | None, before: int | None, limit: int
) -> tuple[list[dict[str, Any]], bool]:
    """The caller's consultation's ``limit`` newest messages older than id ``before``, oldest
    first; and whether there are older ones still."""
    if not credential:
        raise Refused(401, "session not valid")
    params = {"credential": credential_param(credential), "before": before, "limit": limit}
    rows = await sql.all(PAGE, params)
    admitted(caller_of(rows[0] if rows else None))
    rows = [row for row in rows if row.id is not None]
    more = len(rows) > limit
    return [_public_page_row(row) for row in reversed(rows[:limit])], more


def _public_page_row(row: Any) -> dict[str, Any]:
    document = None
    if row.document_id is not None and row.name is not None:
        document = {
            "id": row.document_id,
            "name": row.name,
            "content_type": row.content_type,
            "size": row.size,
            "sha256": row.sha256,
            "session_id": row.document_session_id,
            "created_at": iso(row.document_created_at),
        }
    return {
        "id": row.id,
        "kind": row.kind,
        "body": row.body,
        "session_id": row.author_id,
        "document_id": row.document_id,
        "created_at": iso(row.created_at),
        "document": document,
    }
