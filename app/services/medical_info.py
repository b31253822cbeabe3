"""The consultation's shared medical form."""

from typing import Any

from sqlalchemy import literal, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models import MedicalInfo


async def merge(db: AsyncSession, onetoone_id: int, fields: dict[str, Any]) -> int:
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
    await db.commit()
    return form_id
