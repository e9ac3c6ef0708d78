"""One organisation's open tickets, without reading every open ticket's entry to find them.

``ix_tickets_active_organization``: the open tickets (new, open, pending) of an organisation. The
inbox's "open" list of one organisation (sorted by SLA due) read its 4,700 tickets on
``ix_tickets_organization_number`` and, to keep only the open ones, AND-ed them with a bitmap of
all 300,000 open tickets built from ``ix_tickets_active_assignee`` (23 of its 37 ms at 1,000,000
tickets). Partial, like ``ix_tickets_active_assignee``: three tickets in ten are open.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 16:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_tickets_active_organization ON tickets (organization_id, number) "
        "WHERE status IN ('new', 'open', 'pending')"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_tickets_active_organization")
