"""Stats: one row per significant event. Rows outlive their consultation, so no foreign keys."""

from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from ._base import created_at_column, jsonb_column


class Stats(SQLModel, table=True):
    __tablename__ = "stats"
    __table_args__ = (
        Index("ix_stats_event_created_at", "event", "created_at"),
        Index("ix_stats_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event: str = Field(max_length=32)
    onetoone_id: int | None = Field(default=None, index=True)
    session_id: int | None = None
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb_column())
