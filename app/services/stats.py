"""Stats rows: one per significant event, never with medical content."""

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.models import Stats


def record(
    db: AsyncSession,
    event: str,
    onetoone_id: int | None,
    session_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add the row to ``db``'s transaction, so that it lands with the change it describes."""
    db.add(Stats(event=event, onetoone_id=onetoone_id, session_id=session_id, detail=detail or {}))
