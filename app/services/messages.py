"""Chat messages of a consultation: posting text, and reading the history page by page.

Text is stored exactly as sent and only ever returned inside JSON; nothing interprets it.
"""

from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Refused
from app.persistence.db import retried
from app.persistence.models import Document, Message, OneToOne
from app.realtime.broker import Audience, Broker, Event
from app.services import onetoones


async def lock_active(db: AsyncSession, onetoone_id: int, exclusive: bool = False) -> bool:
    """Lock the consultation's row if it is still active; False once it has been ended.

    Ending a consultation updates that row, so a message or document added under this lock
    is either removed by the end or refused because of it, never left behind.

    The lock order of every transaction is: the consultation's row first (``touch``, then
    this), then rows beneath it. ``exclusive`` (``FOR NO KEY UPDATE``) makes writers of one
    consultation take turns, so that their ids follow their commits and their events go out
    in the order of the ids; it does not block the inserts elsewhere that merely reference
    the row.
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


@retried
async def post_text(
    db: AsyncSession, broker: Broker, onetoone_id: int, session_id: int, text: str, max_chars: int
) -> dict[str, Any]:
    """Store a text message, deliver it as ``newMessage`` to the other participants, return it.

    The consultation's turn spans the commit and the delivery, so that the events of its
    messages go out in the order of their ids.
    """
    check_text(text, max_chars)
    async with broker.in_order(onetoone_id):
        await onetoones.touch(db, onetoone_id)
        if not await lock_active(db, onetoone_id, exclusive=True):
            raise Refused(401, "session not valid")
        message = Message(onetoone_id=onetoone_id, session_id=session_id, kind="text", body=text)
        db.add(message)
        await db.flush()
        await db.refresh(message)
        await db.commit()
        shown = public(message, None)
        broker.publish(
            onetoone_id, Event("newMessage", {"message": shown}), Audience.everyone_but(session_id)
        )
    return shown


async def page(
    db: AsyncSession, onetoone_id: int, before: int | None, limit: int
) -> tuple[list[dict[str, Any]], bool]:
    """The ``limit`` newest messages older than id ``before``, oldest first; and whether
    there are older ones still."""
    statement = (
        select(Message, Document)
        .outerjoin(Document, Document.id == Message.document_id)
        .where(Message.onetoone_id == onetoone_id)
        .order_by(Message.id.desc())  # type: ignore[union-attr]
        .limit(limit + 1)
    )
    if before is not None:
        statement = statement.where(Message.id < before)
    rows = (await db.exec(statement)).all()
    more = len(rows) > limit
    return [public(message, document) for message, document in reversed(rows[:limit])], more
