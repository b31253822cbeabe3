"""webhook outbox: the events to post to the clinic's webhook URLs, kept until delivered

Rows are written in the same transaction as the change they announce (a link re-opened into
the waiting room, a consultation ended, a document uploaded), so that a crash loses none;
the serving instances post them and mark them delivered, or dead after too many failures.
They carry identifiers only, never medical content.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # One row per event, written in the change's own statement or transaction.
    op.create_table(
        "webhook_event",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column(
            "uuid", postgresql.UUID, nullable=False, server_default=sa.text("gen_random_uuid()")
        ),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("data", postgresql.JSONB, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        # Copied into one delivery per configured URL (or none) by a deliverer.
        sa.Column("fanned_out", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index(
        "ix_webhook_event_new",
        "webhook_event",
        ["id"],
        postgresql_where=sa.text("NOT fanned_out"),
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column(
            "event_id",
            sa.BigInteger,
            sa.ForeignKey("webhook_event.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
        sa.Column("claimed_until", sa.DateTime(timezone=True)),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("dead_at", sa.DateTime(timezone=True)),
        sa.Column("last_status", sa.Integer),
        sa.Column("last_error", sa.String(200)),
    )
    # The deliverers' queue: what is neither delivered nor dead, by when it is due.
    op.create_index(
        "ix_webhook_delivery_due",
        "webhook_delivery",
        ["next_attempt_at"],
        postgresql_where=sa.text("delivered_at IS NULL AND dead_at IS NULL"),
    )
    op.create_index("ix_webhook_delivery_event_id", "webhook_delivery", ["event_id"])
    op.create_index(
        "ix_webhook_delivery_dead",
        "webhook_delivery",
        ["dead_at"],
        postgresql_where=sa.text("dead_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_table("webhook_delivery")
    op.drop_table("webhook_event")
