"""Stats rows: one per significant event, never with medical content."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, cast, func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.persistence.models import Stats

# The fixed vocabulary of events. Adding one is a change of the stats contract: say so in
# README.md ("Stats events").
EVENTS = frozenset(
    {
        "created",  # POST /onetoone
        "opened",  # the doctor opened its link
        "first_use",  # a patient or guest link used for the first time
        "reopened",  # a logged-in client opened its link again
        "pending",  # a used link opened by another client: a new session in the waiting room
        "validated",  # the doctor admitted a pending session
        "refused",  # the doctor refused a pending session
        "killed",  # the consultation ended (DELETE /onetoone, monitor, CLI)
        "deleted",  # the consultation and all its data removed (retention, CLI)
        "media_joined",  # a participant joined the media room
        "media_left",  # a participant left the media room
        "device_connected",  # a USB medical device was plugged in at a station
        "device_disconnected",  # it was unplugged
        "document_uploaded",  # a document was uploaded
    }
)


def record(
    db: AsyncSession,
    event: str,
    onetoone_id: int | None,
    session_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add the row to ``db``'s transaction, so that it lands with the change it describes.

    ``detail`` is for small technical facts (a reason, a device kind), never medical content.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown stats event {event!r}")
    db.add(Stats(event=event, onetoone_id=onetoone_id, session_id=session_id, detail=detail or {}))


@dataclass
class Counts:
    """Events counted per event over the whole range, and per UTC day and event."""

    start: date
    end: date
    events: dict[str, int]
    days: list[tuple[date, str, int]]

    def public(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "events": self.events,
            "days": [
                {"day": day.isoformat(), "event": event, "count": count}
                for day, event, count in self.days
            ],
        }


def default_range(today: date | None = None) -> tuple[date, date]:
    """The last 30 days, today (UTC) included."""
    end = today or datetime.now(UTC).date()
    return end - timedelta(days=29), end


async def counts(db: AsyncSession, start: date, end: date) -> Counts:
    """Count the events of the UTC days ``start`` to ``end``, both included."""
    day = cast(func.timezone("UTC", Stats.created_at), Date).label("day")
    rows = (
        await db.exec(
            select(day, Stats.event, func.count())
            .where(Stats.created_at >= datetime.combine(start, time(), UTC))
            .where(Stats.created_at < datetime.combine(end + timedelta(days=1), time(), UTC))
            .group_by(day, Stats.event)
            .order_by(day, Stats.event)
        )
    ).all()
    totals = dict.fromkeys(sorted(EVENTS), 0)
    for _, event, count in rows:
        totals[event] = totals.get(event, 0) + count
    return Counts(start, end, totals, [(d, e, c) for d, e, c in rows])
