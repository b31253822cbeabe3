"""Audit rows: every read or write of a consultation's medical form and documents.

Who (a session and its role, or ``operator``/``monitor``), what, which consultation, when.
No medical content is recorded, only the fact of the access.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlmodel.ext.asyncio.session import AsyncSession

from app.persistence.models import Audit

ACTIONS = frozenset(
    {
        "form.read",
        "form.update",
        "form.delete",  # the form removed with its consultation (retention, CLI)
        "document.upload",
        "document.download",
        "document.delete",  # removed by hand, or with its consultation when it is killed
    }
)

# Roles of the actors who are not a participant's session.
OPERATOR = "operator"
MONITOR = "monitor"


@dataclass(frozen=True)
class Actor:
    """Who acts: a participant's session, or the operator or the monitor (no session)."""

    role: str
    session_id: int | None = None


def record(
    db: AsyncSession,
    action: str,
    onetoone_id: int,
    session_id: int | None,
    role: str,
    document_id: int | None = None,
) -> None:
    """Add the row to ``db``'s transaction, so that it lands with the access it describes."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    db.add(
        Audit(
            action=action,
            onetoone_id=onetoone_id,
            session_id=session_id,
            role=role,
            document_id=document_id,
        )
    )


def record_by(
    db: AsyncSession,
    action: str,
    onetoone_id: int,
    actor: Actor,
    document_id: int | None = None,
) -> None:
    record(db, action, onetoone_id, actor.session_id, actor.role, document_id)


async def purge(db: AsyncSession, before: datetime) -> int:
    """Delete the rows older than ``before``; return how many. The caller commits."""
    result = await db.exec(delete(Audit).where(Audit.created_at < before))
    return result.rowcount
