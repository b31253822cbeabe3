"""Audit: who read or changed a consultation's medical form or documents, and when.

Rows outlive their consultation (no foreign keys); their own retention period applies.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from ._base import created_at_column


class Audit(SQLModel, table=True):
    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_created_at", "created_at"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    action: str = Field(max_length=32)
    onetoone_id: int = Field(index=True)
    session_id: int | None = None
    role: str = Field(max_length=16)
    document_id: int | None = None
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
