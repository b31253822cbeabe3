"""Document: an uploaded file's metadata; the bytes live in storage under ``storage_key``."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from ._base import created_at_column, iso


class Document(SQLModel, table=True):
    __tablename__ = "document"

    id: int | None = Field(default=None, primary_key=True)
    onetoone_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("onetoone.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    session_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("session.id", ondelete="SET NULL"), nullable=True),
    )
    name: str = Field(max_length=255)
    content_type: str = Field(max_length=127)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=255, unique=True)
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
            "session_id": self.session_id,
            "created_at": iso(self.created_at),
        }
