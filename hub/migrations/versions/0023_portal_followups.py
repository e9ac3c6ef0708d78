"""The partner portal's follow-ups: date proposals kept by the deadline sweep; the quality cases'
copies of the ERP's reference dropped (the sync links hold it, as for every synced entity).

Revision ID: 0023
Revises: 0018
Create Date: 2026-12-06 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for column in ("warn_at", "warned_at", "breached_at", "next_due_at"):
        op.add_column("portal_date_proposals", sa.Column(column, sa.DateTime(timezone=True), nullable=True))
    # Undecided proposals made before this revision are swept from their due instant on.
    op.execute("UPDATE portal_date_proposals SET next_due_at = due_at WHERE status = 'proposed'")
    op.create_index(
        "ix_portal_date_proposals_next_due_at",
        "portal_date_proposals",
        ["next_due_at"],
        unique=False,
        postgresql_where=sa.text("next_due_at IS NOT NULL"),
    )

    op.drop_constraint("uq_quality_cases_source_external_ref", "quality_cases", type_="unique")
    op.drop_constraint(op.f("ck_quality_cases_source_with_ref"), "quality_cases", type_="check")
    for column in ("source", "external_ref", "source_updated_at"):
        op.drop_column("quality_cases", column)


def downgrade() -> None:
    op.add_column("quality_cases", sa.Column("source", sa.String(length=64), nullable=True))
    op.add_column("quality_cases", sa.Column("external_ref", sa.String(length=200), nullable=True))
    op.add_column("quality_cases", sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        op.f("ck_quality_cases_source_with_ref"), "quality_cases", "(source IS NULL) = (external_ref IS NULL)"
    )
    op.create_unique_constraint(
        "uq_quality_cases_source_external_ref", "quality_cases", ["source", "external_ref"]
    )

    op.drop_index("ix_portal_date_proposals_next_due_at", table_name="portal_date_proposals")
    for column in ("next_due_at", "breached_at", "warned_at", "warn_at"):
        op.drop_column("portal_date_proposals", column)
