"""The monthly review's mail to supervisors: one row per month, claimed and stamped when sent.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monthly_review_mailings",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recipients", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_monthly_review_mailings")),
    )


def downgrade() -> None:
    op.drop_table("monthly_review_mailings")
