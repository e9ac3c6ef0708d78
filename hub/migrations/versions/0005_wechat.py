"""Reply windows, identity status and profile, rejected raw payloads (the WeChat channel's needs).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 08:00:00

Everything here is channel-neutral: a reply window per (channel, identity), an identity's
``left_at`` (unfollowed) and fetched ``profile``, and a ``rejected`` state for authentic payloads
that cannot be read (kept for inspection, never processed).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RAW_CONSTRAINT = "ck_raw_inbound_raw_status"


def _raw_statuses(*statuses: str) -> None:
    op.drop_constraint(op.f(RAW_CONSTRAINT), "raw_inbound", type_="check")
    listed = ", ".join(f"'{status}'" for status in statuses)
    op.create_check_constraint(op.f(RAW_CONSTRAINT), "raw_inbound", f"status IN ({listed})")


def upgrade() -> None:
    op.add_column("contact_identities", sa.Column("left_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "contact_identities",
        sa.Column("profile", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
    )
    op.create_table(
        "reply_windows",
        sa.Column("channel_id", sa.UUID(), nullable=False),
        sa.Column("identity_id", sa.UUID(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replies_allowed", sa.Integer(), nullable=False),
        sa.Column("replies_used", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_reply_windows_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["identity_id"],
            ["contact_identities.id"],
            name=op.f("fk_reply_windows_identity_id_contact_identities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("channel_id", "identity_id", name=op.f("pk_reply_windows")),
    )
    op.create_index(op.f("ix_reply_windows_identity_id"), "reply_windows", ["identity_id"], unique=False)
    _raw_statuses("received", "processed", "failed", "rejected")
    op.create_index(
        "ix_raw_inbound_received",
        "raw_inbound",
        ["received_at"],
        unique=False,
        postgresql_where=sa.text("status = 'received'"),
    )


def downgrade() -> None:
    op.drop_index("ix_raw_inbound_received", table_name="raw_inbound")
    op.execute("DELETE FROM raw_inbound WHERE status = 'rejected'")
    _raw_statuses("received", "processed", "failed")
    op.drop_index(op.f("ix_reply_windows_identity_id"), table_name="reply_windows")
    op.drop_table("reply_windows")
    op.drop_column("contact_identities", "profile")
    op.drop_column("contact_identities", "left_at")
