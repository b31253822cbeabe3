"""Session: one participant's access to a consultation, and the credentials it has handed out."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Integer, LargeBinary
from sqlmodel import Field, SQLModel

from ._base import created_at_column, updated_at_column

ROLES = ("medecin", "patient", "guest")


class Session(SQLModel, table=True):
    __tablename__ = "session"
    __table_args__ = (
        CheckConstraint("role IN ('medecin', 'patient', 'guest')", name="ck_session_role"),
        CheckConstraint("token_onetime_used IN (0, 1)", name="ck_session_token_onetime_used"),
        CheckConstraint("validate_fromadmin IN (0, 1)", name="ck_session_validate_fromadmin"),
        CheckConstraint(
            "state IN ('new', 'waiting', 'admitted', 'replaced', 'refused', 'left', 'ended')",
            name="ck_session_state",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    onetoone_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("onetoone.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    token: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=8)
    reopened_from_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("session.id", ondelete="CASCADE"), nullable=True),
    )
    token_onetime_used: int = 0
    validate_fromadmin: int = 1
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())
    # Where the session is in its life (migration 0008, ``docs/api.md``): a credential works
    # only while it is ``waiting`` or ``admitted``.
    state: str = Field(default="new", max_length=16)
    # When it came into the consultation (first use, or admitted from the waiting room).
    admitted_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # The client's kind of device, from its User-Agent, when the link opened this session.
    device_hint: str | None = Field(default=None, max_length=40)
    # Refused by the doctor in the waiting room: never admitted; the device may not ring again
    # for ``waiting_room_refused_for``.
    refused_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # Left the waiting room by itself: likewise out of it for good.
    left_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class SessionCredential(SQLModel, table=True):
    """A login of one client into a session. Only the SHA-256 of the credential is stored."""

    __tablename__ = "session_credential"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("session.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    credential_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False, unique=True))
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
