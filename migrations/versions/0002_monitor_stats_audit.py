"""monitor, stats and audit: onetoone.last_activity_at, the audit table, stats by day

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "onetoone",
        sa.Column(
            "last_activity_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    )
    op.create_index(
        "ix_onetoone_status_last_activity_at", "onetoone", ["status", "last_activity_at"]
    )
    op.create_index("ix_onetoone_status_killed_at", "onetoone", ["status", "killed_at"])
    op.create_index("ix_stats_created_at", "stats", ["created_at"])
    op.create_table(
        "audit",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("onetoone_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_created_at", "audit", ["created_at"])
    op.create_index(op.f("ix_audit_onetoone_id"), "audit", ["onetoone_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_onetoone_id"), table_name="audit")
    op.drop_index("ix_audit_created_at", table_name="audit")
    op.drop_table("audit")
    op.drop_index("ix_stats_created_at", table_name="stats")
    op.drop_index("ix_onetoone_status_killed_at", table_name="onetoone")
    op.drop_index("ix_onetoone_status_last_activity_at", table_name="onetoone")
    op.drop_column("onetoone", "last_activity_at")
