"""end-to-end encryption: whether a consultation's media is encrypted by its participants

Set when the consultation is created (``POST /onetoone {e2ee}``, default from the setting
``e2ee_default``) and never changed: every client reads it when its link opens. The server
keeps no key: the participants' public keys and wrapped sender keys only pass through it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "onetoone", sa.Column("e2ee", sa.Boolean, nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    op.drop_column("onetoone", "e2ee")
