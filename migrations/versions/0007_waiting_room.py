"""the waiting room (which device waits, the doctor's refusal), each socket's media state,
and the doctor's name the patient's page shows

``device_hint`` is what the server made of the client's User-Agent when the link opened a
session ("Chrome on Android"): the doctor tells two waiting devices apart by it; the
User-Agent itself is not kept. ``refused_at`` is set when the doctor refuses a waiting
session: it is then out of the waiting room, its logins are removed, and it cannot be
admitted; ``left_at`` likewise when the client itself leaves the waiting room.

``live_socket.media_state`` is what the socket's page says it sends (``{camera,
microphone}``), told to the others and read by ``getPeers``. ``onetoone.doctor_name`` is the
name the clinic gave when creating the consultation (``POST /onetoone {doctor_name}``), shown
in its patient's and guest's heading.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("session", sa.Column("device_hint", sa.String(40), nullable=True))
    op.add_column("session", sa.Column("refused_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("session", sa.Column("left_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("live_socket", sa.Column("media_state", postgresql.JSONB, nullable=True))
    op.add_column("onetoone", sa.Column("doctor_name", sa.String(100), nullable=True))


def downgrade() -> None:
    op.drop_column("onetoone", "doctor_name")
    op.drop_column("live_socket", "media_state")
    op.drop_column("session", "left_at")
    op.drop_column("session", "refused_at")
    op.drop_column("session", "device_hint")
