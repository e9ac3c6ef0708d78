"""Phone lines: which user answers on each PBX extension.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "phone_extensions",
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("extension", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_phone_extensions_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_phone_extensions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("channel_id", "extension", name=op.f("pk_phone_extensions")),
    )
    op.create_index(op.f("ix_phone_extensions_user_id"), "phone_extensions", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_phone_extensions_user_id"), table_name="phone_extensions")
    op.drop_table("phone_extensions")
