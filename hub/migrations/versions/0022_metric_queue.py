"""The metric projection's queue: tickets whose logs changed since their samples were derived.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Copied, not imported: a migration must not change when the code does. The sweep's alerts
#: derive nothing again (docs/metrics.md, "Periods"); every other kind of event queues its ticket,
#: so a kind added later is on the safe side.
UNQUEUED_TICKET_KINDS = ("sla_warning", "sla_breached", "handoff_warning")
#: What a requirement's feedback sample (M7 ``requirement_feedback``) is read from.
QUEUED_REQUIREMENT_KINDS = ("recorded", "feedback_given", "feedback_breached")


def _listed(kinds: Sequence[str]) -> str:
    return ", ".join(f"'{kind}'" for kind in kinds)


def upgrade() -> None:
    op.create_table(
        "metric_queue",
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_metric_queue_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_metric_queue")),
    )
    op.create_index(op.f("ix_metric_queue_queued_at"), "metric_queue", ["queued_at"])
    # Statement triggers over the inserted rows: one upsert per statement, however many rows the
    # funnel's set-based insert wrote. DO UPDATE (not DO NOTHING) takes the row's lock, so a commit
    # racing a drain that claimed the row waits for it and queues the ticket again afterwards.
    op.execute(
        f"""
        CREATE FUNCTION metric_queue_ticket_events() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO metric_queue (ticket_id, queued_at)
            SELECT DISTINCT ticket_id, now() FROM added
            WHERE kind NOT IN ({_listed(UNQUEUED_TICKET_KINDS)})
            ORDER BY ticket_id
            ON CONFLICT (ticket_id) DO UPDATE SET queued_at = excluded.queued_at;
            RETURN NULL;
        END $$
        """  # noqa: S608 - the migration's own constant kinds
    )
    op.execute(
        "CREATE TRIGGER ticket_events_metric_queue AFTER INSERT ON ticket_events "
        "REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION metric_queue_ticket_events()"
    )
    op.execute(
        f"""
        CREATE FUNCTION metric_queue_requirement_events() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO metric_queue (ticket_id, queued_at)
            SELECT DISTINCT r.ticket_id, now() FROM added JOIN requirements r ON r.id = added.requirement_id
            WHERE added.kind IN ({_listed(QUEUED_REQUIREMENT_KINDS)})
            ORDER BY r.ticket_id
            ON CONFLICT (ticket_id) DO UPDATE SET queued_at = excluded.queued_at;
            RETURN NULL;
        END $$
        """  # noqa: S608 - the migration's own constant kinds
    )
    op.execute(
        "CREATE TRIGGER requirement_events_metric_queue AFTER INSERT ON requirement_events "
        "REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION metric_queue_requirement_events()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS requirement_events_metric_queue ON requirement_events")
    op.execute("DROP FUNCTION IF EXISTS metric_queue_requirement_events()")
    op.execute("DROP TRIGGER IF EXISTS ticket_events_metric_queue ON ticket_events")
    op.execute("DROP FUNCTION IF EXISTS metric_queue_ticket_events()")
    op.drop_index(op.f("ix_metric_queue_queued_at"), table_name="metric_queue")
    op.drop_table("metric_queue")
