"""Source cursors: where a pulled channel (an IMAP mailbox folder) has read up to.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 08:00:00

Channel-neutral: one row per (channel, source) with the source's numbering (``validity``, IMAP's
UIDVALIDITY), the last stored position and the reader's state and last error for operators.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "source_cursors",
        sa.Column("channel_id", sa.UUID(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("validity", sa.BigInteger(), nullable=True),
        sa.Column("position", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("state", sa.String(length=40), server_default="new", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_source_cursors_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("channel_id", "source", name=op.f("pk_source_cursors")),
    )


def downgrade() -> None:
    op.drop_table("source_cursors")
