"""MedicalInfo: the consultation's shared form (patient questionnaire and doctor form)."""

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from ._base import jsonb_column, updated_at_column


class MedicalInfo(SQLModel, table=True):
    __tablename__ = "medical_info"

    id: int | None = Field(default=None, primary_key=True)
    onetoone_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("onetoone.id", ondelete="CASCADE"), nullable=False, unique=True
        )
    )
    data: dict[str, Any] = Field(default_factory=dict, sa_column=jsonb_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())
