"""The consultation's shared medical form. Every read and write of it is audited."""

from typing import Any

from sqlalchemy import literal, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models import MedicalInfo
from app.services import audit, onetoones
from app.services.audit import Actor


async def merge(db: AsyncSession, onetoone_id: int, fields: dict[str, Any], actor: Actor) -> int:
    """Merge ``fields`` into the form in one statement, so concurrent writers never lose fields.

    Returns the form's id.
    """
    statement = (
        update(MedicalInfo)
        .where(MedicalInfo.onetoone_id == onetoone_id)
        .values(data=MedicalInfo.data.op("||")(literal(fields, JSONB)))
        .returning(MedicalInfo.id)
    )
    form_id = (await db.exec(statement)).scalar_one()
    audit.record_by(db, "form.update", onetoone_id, actor)
    await onetoones.touch(db, onetoone_id)
    await db.commit()
    return form_id


async def read(db: AsyncSession, onetoone_id: int, actor: Actor) -> MedicalInfo:
    """The form as it stands now."""
    form = (await db.exec(select(MedicalInfo).where(MedicalInfo.onetoone_id == onetoone_id))).one()
    audit.record_by(db, "form.read", onetoone_id, actor)
    await db.commit()
    return form
