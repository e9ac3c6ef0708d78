"""Ticket drafts: an agent's unsent reply or note on a ticket, kept on the server.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticket_drafts",
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('reply', 'note')", name=op.f("ck_ticket_drafts_kind_known")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_drafts_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ticket_drafts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("ticket_id", "user_id", "kind", name=op.f("pk_ticket_drafts")),
    )
    op.create_index(op.f("ix_ticket_drafts_user_id"), "ticket_drafts", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_ticket_drafts_user_id"), table_name="ticket_drafts")
    op.drop_table("ticket_drafts")
