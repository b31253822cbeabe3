"""Column helpers shared by the models."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, func
from sqlalchemy.dialects.postgresql import JSONB


def utcnow() -> datetime:
    return datetime.now(UTC)


def created_at_column() -> Any:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now())


def updated_at_column() -> Any:
    return Column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )


def jsonb_column(nullable: bool = False) -> Any:
    return Column(JSONB, nullable=nullable, server_default="{}")


def iso(value: datetime | None) -> str | None:
    """A timestamp as every answer and event writes it: UTC, to the microsecond. The SQL that
    renders events in the database (``hocovisio_iso``, migration 0005) writes the same text."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="microseconds")
