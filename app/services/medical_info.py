"""The consultation's shared medical form. Every read and write of it is audited; every
write is announced to the other participants (``infoUpdate``)."""

from typing import Any

from sqlalchemy import Text, cast, func, literal, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Refused
from app.persistence.db import retried
from app.persistence.models import MedicalInfo
from app.realtime.broker import Audience, Broker, Event
from app.services import audit, onetoones
from app.services.audit import Actor


@retried
async def merge(
    db: AsyncSession,
    broker: Broker,
    onetoone_id: int,
    fields: dict[str, Any],
    actor: Actor,
    max_bytes: int,
) -> int:
    """Merge ``fields`` into the form in one statement, so concurrent writers never lose fields.

    The size check is part of that statement, evaluated on the row as it stands under its
    lock: concurrent writers cannot together grow the form past ``max_bytes`` (its JSON text,
    in bytes). The other participants get the fields as ``infoUpdate``. Returns the form's id.
    """
    assert actor.session_id is not None, "a participant writes the form"
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
        raise Refused(413, f"the form would be larger than {max_bytes} bytes")
    audit.record_by(db, "form.update", onetoone_id, actor)
    await db.commit()
    update_event = {
        "id": form_id,
        "data": fields,
        "session_id": actor.session_id,
        "role": actor.role,
    }
    broker.publish(
        onetoone_id, Event("infoUpdate", update_event), Audience.everyone_but(actor.session_id)
    )
    return form_id


async def read(db: AsyncSession, onetoone_id: int, actor: Actor) -> MedicalInfo:
    """The form as it stands now."""
    form = (await db.exec(select(MedicalInfo).where(MedicalInfo.onetoone_id == onetoone_id))).one()
    audit.record_by(db, "form.read", onetoone_id, actor)
    await db.commit()
    return form
