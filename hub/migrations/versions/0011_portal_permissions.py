"""Portal permissions: what each partner user may do (prices, deliveries, quality, admin).

Partner users that exist already keep doing everything they could, so they get every permission.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 09:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("portal_permissions", pg.ARRAY(sa.Text()), server_default="{}", nullable=False),
    )
    op.execute(
        "UPDATE users SET portal_permissions = ARRAY['admin', 'deliveries', 'prices', 'quality']"
        " WHERE role = 'partner'"
    )
    op.create_check_constraint(
        op.f("ck_users_portal_permissions_known"),
        "users",
        "portal_permissions <@ ARRAY['prices', 'deliveries', 'quality', 'admin']::text[]"
        " AND (role = 'partner' OR cardinality(portal_permissions) = 0)",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_users_portal_permissions_known"), "users", type_="check")
    op.drop_column("users", "portal_permissions")
