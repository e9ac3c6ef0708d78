"""Indexes the inbox's lists read in order: the SLA order's second segment, one organisation's tickets.

* ``ix_ticket_sla_waiting_undue``: tickets with no running due time but a client waiting, by how
  long they have waited: the order's second segment, read in order instead of scanning every
  clock row. Partial, so it holds only those few rows.
* ``ix_tickets_organization_number`` instead of ``ix_tickets_organization_id``: one organisation's
  tickets newest first, so a list of one organisation (with a common word: 150 ms at 1,000,000
  tickets) walks its own tickets in order instead of everyone's by number for the few that are its.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 13:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Copied, not imported: a migration must not change when the code does (0017's expression).
SLA_DUE = (
    "least("
    + ", ".join(
        f"CASE WHEN {t}_state = 'active' THEN {t}_due_at END"
        for t in ("first_response", "next_response", "resolution")
    )
    + ")"
)


def upgrade() -> None:
    op.create_index("ix_tickets_organization_number", "tickets", ["organization_id", "number"])
    op.drop_index("ix_tickets_organization_id", table_name="tickets")
    op.execute(
        "CREATE INDEX ix_ticket_sla_waiting_undue ON ticket_sla (waiting_since) "
        f"WHERE waiting_since IS NOT NULL AND {SLA_DUE} IS NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_ticket_sla_waiting_undue")
    op.create_index("ix_tickets_organization_id", "tickets", ["organization_id"])
    op.drop_index("ix_tickets_organization_number", table_name="tickets")
