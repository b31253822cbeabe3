"""OneToOne: a consultation."""

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Column, DateTime, Index, false
from sqlmodel import Field, SQLModel

from ._base import created_at_column, updated_at_column


class OneToOne(SQLModel, table=True):
    __tablename__ = "onetoone"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'killed')", name="ck_onetoone_status"),
        Index("ix_onetoone_status_created_at", "status", "created_at"),
        Index("ix_onetoone_status_last_activity_at", "status", "last_activity_at"),
        Index("ix_onetoone_status_killed_at", "status", "killed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True)
    status: str = Field(default="active", max_length=8)
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())
    killed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    # Touched when a link is opened, the form changes or a socket connects or leaves; the
    # monitor kills consultations idle for too long.
    last_activity_at: datetime | None = Field(default=None, sa_column=created_at_column())
    # The participants encrypt the media end to end (migration 0006); set at creation only.
    e2ee: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    # Shown in the patient's heading (migration 0007); set at creation only.
    doctor_name: str | None = Field(default=None, max_length=100)
