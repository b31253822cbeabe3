"""Documents: receiving an upload into storage under the rules, recording and announcing it
(``newMessage``, in the same order as chat messages), finding it."""

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Refused
from app.persistence.db import retried
from app.persistence.models import Document, Message
from app.persistence.storage import PendingWrite, Storage
from app.realtime import notices
from app.realtime.broker import Audience, Event
from app.services import audit, messages, onetoones, stats, webhooks
from app.services.audit import Actor
from app.services.filetypes import SNIFF_BYTES, TEXT, TextCheck, sniff

# Data is hashed and written in blocks of this size, off the event loop.
_BLOCK = 1024 * 1024


@dataclass(frozen=True)
class UploadRules:
    max_bytes: int
    quota_bytes: int
    allowed_types: frozenset[str]

    def too_large(self) -> Refused:
        return Refused(413, f"the document is larger than {self.max_bytes} bytes")

    def over_quota(self) -> Refused:
        return Refused(
            413, f"the consultation's documents would exceed their {self.quota_bytes}-byte quota"
        )


def not_accepted(allowed: frozenset[str]) -> Refused:
    return Refused(
        415, "this kind of document is not accepted; accepted: " + ", ".join(sorted(allowed))
    )


@dataclass
class Received:
    """A document written to storage but not yet committed there."""

    pending: PendingWrite
    size: int
    sha256: str
    content_type: str


async def used_bytes(db: AsyncSession, onetoone_id: int) -> int:
    total = (
        await db.exec(
            select(func.coalesce(func.sum(Document.size), 0)).where(
                Document.onetoone_id == onetoone_id
            )
        )
    ).one()
    return int(total)


async def receive(
    data: AsyncIterator[bytes], storage: Storage, rules: UploadRules, used: int
) -> Received:
    """Write the file's data to storage, checking size, quota and type as it arrives.

    On any refusal or failure (the client going away included) nothing is left in storage.
    """
    pending = storage.begin_write()
    try:
        return await _receive(data, pending, rules, used)
    except BaseException:
        pending.discard()
        raise


async def _receive(
    data: AsyncIterator[bytes], pending: PendingWrite, rules: UploadRules, used: int
) -> Received:
    hasher = hashlib.sha256()
    buffer = bytearray()
    size = 0
    content_type: str | None = None
    text: TextCheck | None = None

    async def flush() -> None:
        block = bytes(buffer)
        buffer.clear()
        if text is not None and not text.feed(block):
            raise not_accepted(rules.allowed_types)
        await asyncio.to_thread(hasher.update, block)
        await pending.write(block)

    async for chunk in data:
        size += len(chunk)
        if size > rules.max_bytes:
            raise rules.too_large()
        if used + size > rules.quota_bytes:
            raise rules.over_quota()
        buffer += chunk
        if content_type is None and len(buffer) >= SNIFF_BYTES:
            content_type, text = _classify(bytes(buffer), rules)
        if content_type is not None and len(buffer) >= _BLOCK:
            await flush()
    if size == 0:
        raise Refused(400, "the document is empty")
    if content_type is None:
        content_type, text = _classify(bytes(buffer), rules)
    await flush()
    if text is not None and not text.feed(b"", final=True):
        raise not_accepted(rules.allowed_types)
    return Received(pending, size, hasher.hexdigest(), content_type)


def _classify(head: bytes, rules: UploadRules) -> tuple[str, TextCheck | None]:
    content_type = sniff(head)
    if content_type not in rules.allowed_types:
        raise not_accepted(rules.allowed_types)
    return content_type, TextCheck() if content_type == TEXT else None


@retried
async def record(
    db: AsyncSession,
    onetoone_id: int,
    actor: Actor,
    name: str,
    received: Received,
    rules: UploadRules,
) -> tuple[Document, Message]:
    """Add the document, its message, its audit and stats rows, without committing.

    The consultation's row is locked, so that concurrent uploads cannot together exceed the
    quota and an upload cannot land in a consultation being ended.
    """
    await onetoones.touch(db, onetoone_id)
    if not await messages.lock_active(db, onetoone_id, exclusive=True):
        raise Refused(401, "session not valid")
    if await used_bytes(db, onetoone_id) + received.size > rules.quota_bytes:
        raise rules.over_quota()
    document = Document(
        onetoone_id=onetoone_id,
        session_id=actor.session_id,
        name=name,
        content_type=received.content_type,
        size=received.size,
        sha256=received.sha256,
        storage_key=received.pending.key,
    )
    db.add(document)
    await db.flush()
    message = Message(
        onetoone_id=onetoone_id,
        session_id=actor.session_id,
        kind="document",
        body=name,
        document_id=document.id,
    )
    db.add(message)
    audit.record_by(db, "document.upload", onetoone_id, actor, document.id)
    stats.record(db, "document_uploaded", onetoone_id, actor.session_id)
    await db.flush()
    await (await db.connection()).exec_driver_sql(
        QUEUE_UPLOADED,
        {
            "onetoone_id": onetoone_id,
            "session_id": actor.session_id,
            "role": actor.role,
            "document_id": document.id,
            "content_type": document.content_type,
            "size": document.size,
        },
    )
    await db.refresh(document)
    await db.refresh(message)
    return document, message


# The upload announced to the webhooks in its transaction: the document's type and size, not
# its name, which may say who the patient is.
QUEUE_UPLOADED = webhooks.queued(
    "document.uploaded",
    "jsonb_build_object('onetoone_id', %(onetoone_id)s::integer,"
    " 'session_id', %(session_id)s::integer, 'role', %(role)s::text,"
    " 'document_id', %(document_id)s::integer, 'content_type', %(content_type)s::text,"
    " 'size', %(size)s::bigint)",
    "(SELECT 1) AS one",
)


async def add(
    db: AsyncSession,
    onetoone_id: int,
    actor: Actor,
    name: str,
    received: Received,
    rules: UploadRules,
) -> Document:
    """Record the document and its message, publish it, commit the file, then the rows.

    ``record`` locks the consultation's row first, so that writers take turns and chat and
    documents arrive in the order of their ids; the event goes out at the commit. On any
    failure the file is discarded from storage.
    """
    assert actor.session_id is not None, "a participant uploads"
    try:
        document, message = await record(db, onetoone_id, actor, name, received, rules)
        await notices.publish_in(
            db,
            onetoone_id,
            Event("newMessage", {"message": messages.public(message, document)}),
            Audience.everyone_but(actor.session_id),
        )
        await received.pending.commit()
        await db.commit()
    except BaseException:
        received.pending.discard()
        raise
    return document


async def find(db: AsyncSession, document_id: int, onetoone_id: int) -> Document | None:
    """The consultation's document ``document_id``; None for any other, so that another
    consultation's ids cannot be told from missing ones."""
    statement = select(Document).where(
        Document.id == document_id, Document.onetoone_id == onetoone_id
    )
    return (await db.exec(statement)).first()


async def audit_download(db: AsyncSession, document: Document, actor: Actor) -> None:
    audit.record_by(db, "document.download", document.onetoone_id, actor, document.id)
    await db.commit()
