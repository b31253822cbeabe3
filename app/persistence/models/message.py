"""Message: a chat message, or the notice of a document, inside a consultation."""

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, Text
from sqlmodel import Field, SQLModel

from ._base import created_at_column, iso


class Message(SQLModel, table=True):
    __tablename__ = "message"
    __table_args__ = (
        CheckConstraint("kind IN ('text', 'document')", name="ck_message_kind"),
        Index("ix_message_onetoone_id_id", "onetoone_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    onetoone_id: int = Field(
        sa_column=Column(Integer, ForeignKey("onetoone.id", ondelete="CASCADE"), nullable=False)
    )
    session_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("session.id", ondelete="SET NULL"), nullable=True),
    )
    kind: str = Field(default="text", max_length=8)
    body: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    document_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("document.id", ondelete="CASCADE"), nullable=True),
    )
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "body": self.body,
            "session_id": self.session_id,
            "document_id": self.document_id,
            "created_at": iso(self.created_at),
        }
