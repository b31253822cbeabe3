"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("vendor_id", sa.String(length=4), nullable=False),
        sa.Column("product_id", sa.String(length=4), nullable=False),
        sa.Column("media_kind", sa.String(length=8), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.CheckConstraint("media_kind IN ('video', 'audio', 'data')", name="ck_device_media_kind"),
        sa.CheckConstraint("product_id ~ '^[0-9a-f]{4}$'", name="ck_device_product_id"),
        sa.CheckConstraint("vendor_id ~ '^[0-9a-f]{4}$'", name="ck_device_vendor_id"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("vendor_id", "product_id", name="uq_device_usb_id"),
    )
    op.create_table(
        "onetoone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("killed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('active', 'killed')", name="ck_onetoone_status"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
    )
    op.create_index(
        "ix_onetoone_status_created_at", "onetoone", ["status", "created_at"], unique=False
    )
    op.create_table(
        "stats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("onetoone_id", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "detail", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_stats_event_created_at", "stats", ["event", "created_at"], unique=False)
    op.create_index(op.f("ix_stats_onetoone_id"), "stats", ["onetoone_id"], unique=False)
    op.create_table(
        "medical_info",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("onetoone_id", sa.Integer(), nullable=False),
        sa.Column(
            "data", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["onetoone_id"], ["onetoone.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("onetoone_id"),
    )
    op.create_table(
        "session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("onetoone_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("reopened_from_id", sa.Integer(), nullable=True),
        sa.Column("token_onetime_used", sa.Integer(), nullable=False),
        sa.Column("validate_fromadmin", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("role IN ('medecin', 'patient', 'guest')", name="ck_session_role"),
        sa.CheckConstraint("token_onetime_used IN (0, 1)", name="ck_session_token_onetime_used"),
        sa.CheckConstraint("validate_fromadmin IN (0, 1)", name="ck_session_validate_fromadmin"),
        sa.ForeignKeyConstraint(["onetoone_id"], ["onetoone.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reopened_from_id"], ["session.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
    )
    op.create_index(op.f("ix_session_onetoone_id"), "session", ["onetoone_id"], unique=False)
    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("onetoone_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["onetoone_id"], ["onetoone.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("storage_key"),
    )
    op.create_index(op.f("ix_document_onetoone_id"), "document", ["onetoone_id"], unique=False)
    op.create_table(
        "session_credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("credential_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("credential_hash"),
    )
    op.create_index(
        op.f("ix_session_credential_session_id"), "session_credential", ["session_id"], unique=False
    )
    op.create_table(
        "message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("onetoone_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("body", sa.Text(), server_default="", nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('text', 'document')", name="ck_message_kind"),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["onetoone_id"], ["onetoone.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_message_onetoone_id_id", "message", ["onetoone_id", "id"], unique=False)


def downgrade() -> None:

    op.drop_index("ix_message_onetoone_id_id", table_name="message")
    op.drop_table("message")
    op.drop_index(op.f("ix_session_credential_session_id"), table_name="session_credential")
    op.drop_table("session_credential")
    op.drop_index(op.f("ix_document_onetoone_id"), table_name="document")
    op.drop_table("document")
    op.drop_index(op.f("ix_session_onetoone_id"), table_name="session")
    op.drop_table("session")
    op.drop_table("medical_info")
    op.drop_index(op.f("ix_stats_onetoone_id"), table_name="stats")
    op.drop_index("ix_stats_event_created_at", table_name="stats")
    op.drop_table("stats")
    op.drop_index("ix_onetoone_status_created_at", table_name="onetoone")
    op.drop_table("onetoone")
    op.drop_table("device")
