"""The consultation's shared medical form. Every read and write of it is audited."""

from typing import Any

from sqlalchemy import Text, cast, func, literal, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import retried
from app.models import MedicalInfo
from app.services import audit, onetoones
from app.services.audit import Actor


class FormTooLarge(Exception):
    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"the form would be larger than {max_bytes} bytes")
        self.msg = str(self)


@retried
async def merge(
    db: AsyncSession, onetoone_id: int, fields: dict[str, Any], actor: Actor, max_bytes: int
) -> int:
    """Merge ``fields`` into the form in one statement, so concurrent writers never lose fields.

    The size check is part of that statement, evaluated on the row as it stands under its
    lock: concurrent writers cannot together grow the form past ``max_bytes`` (its JSON text,
    in bytes). Returns the form's id.
    """
    await onetoones.touch(db, onetoone_id)
    merged = MedicalInfo.data.op("||")(literal(fields, JSONB))
    statement = (
        update(MedicalInfo)
        .where(
            MedicalInfo.onetoone_id == onetoone_id,
            func.octet_length(cast(merged, Text)) <= max_bytes,
        )
        .values(data=merged)
        .returning(MedicalInfo.id)
    )
    form_id = (await db.exec(statement)).scalar_one_or_none()
    if form_id is None:
        raise FormTooLarge(max_bytes)
    audit.record_by(db, "form.update", onetoone_id, actor)
    await db.commit()
    return form_id


async def read(db: AsyncSession, onetoone_id: int, actor: Actor) -> MedicalInfo:
    """The form as it stands now."""
    form = (await db.exec(select(MedicalInfo).where(MedicalInfo.onetoone_id == onetoone_id))).one()
    audit.record_by(db, "form.read", onetoone_id, actor)
    await db.commit()
    return form
