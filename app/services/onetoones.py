"""Creating and ending consultations."""

from datetime import UTC, datetime

from sqlalchemy import delete
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models import ROLES, Document, MedicalInfo, Message, OneToOne, Session
from app.services import stats
from app.services.tokens import new_token, same_secret
from app.storage import LocalStorage


async def create(db: AsyncSession) -> tuple[OneToOne, list[Session]]:
    """A new consultation with its form and one session for each role."""
    onetoone = OneToOne(token=new_token())
    db.add(onetoone)
    await db.flush()
    assert onetoone.id is not None
    sessions = [Session(onetoone_id=onetoone.id, token=new_token(), role=role) for role in ROLES]
    db.add_all(sessions)
    db.add(MedicalInfo(onetoone_id=onetoone.id, data={}))
    stats.record(db, "created", onetoone.id)
    await db.commit()
    for row in (onetoone, *sessions):
        await db.refresh(row)
    return onetoone, sessions


async def find(db: AsyncSession, token: str) -> OneToOne | None:
    onetoone = (await db.exec(select(OneToOne).where(OneToOne.token == token))).first()
    if onetoone is None or not same_secret(token, onetoone.token):
        return None
    return onetoone


async def kill(db: AsyncSession, onetoone: OneToOne, storage: LocalStorage) -> None:
    """Mark the consultation killed and remove its messages, documents and their files."""
    keys = (
        await db.exec(select(Document.storage_key).where(Document.onetoone_id == onetoone.id))
    ).all()
    await db.exec(delete(Message).where(Message.onetoone_id == onetoone.id))
    await db.exec(delete(Document).where(Document.onetoone_id == onetoone.id))
    onetoone.status = "killed"
    onetoone.killed_at = datetime.now(UTC)
    db.add(onetoone)
    stats.record(db, "killed", onetoone.id)
    await db.commit()
    for key in keys:
        storage.delete(key)
