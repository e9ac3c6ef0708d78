"""Response-time metrics: samples derived from the ticket event log, daily rollups, and the event
kinds of bots and satisfaction surveys.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Copied, not imported: a migration must not change when the code does (0010's list).
EVENT_KINDS = (
    "created",
    "customer_message",
    "auto_message",
    "human_response",
    "note",
    "assigned",
    "unassigned",
    "status_changed",
    "pending_on",
    "pending_off",
    "resolved",
    "reopened",
    "closed",
    "priority_changed",
    "scenario_changed",
    "tags_changed",
    "merged",
    "delivery_failed",
    "sla_warning",
    "sla_breached",
    "escalated",
    "deescalated",
    "handoff_requested",
    "handoff_answered",
    "handoff_warning",
    "handoff_breached",
    "playbook_started",
    "playbook_step_done",
    "playbook_step_skipped",
    "playbook_completed",
    "csat_sent",
    "csat_not_sent",
    "csat_cancelled",
    "csat_response",
    "quality_step_answered",
    "quality_step_accepted",
    "quality_step_rejected",
    "quality_step_overdue",
    "merged_in",
    "unmerged",
    "split",
    "split_from",
)
NEW_EVENT_KINDS = ("bot_message", "bot_handoff")


def _event_kinds(kinds: Sequence[str]) -> None:
    name = op.f("ck_ticket_events_ticket_event_kind")
    op.drop_constraint(name, "ticket_events", type_="check")
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    op.create_check_constraint(name, "ticket_events", f"kind IN ({listed})")


def upgrade() -> None:
    op.create_table(
        "metric_samples",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bucket_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("calendar", sa.String(length=64), nullable=False),
        sa.Column("calendar_seconds", sa.Double(), nullable=True),
        sa.Column("business_seconds", sa.Double(), nullable=True),
        sa.Column("within_target", sa.Boolean(), nullable=True),
        sa.Column("start_event_id", sa.BigInteger(), nullable=True),
        sa.Column("end_event_id", sa.BigInteger(), nullable=True),
        sa.Column("start_message_id", pg.UUID(as_uuid=True), nullable=True),
        sa.Column("end_message_id", pg.UUID(as_uuid=True), nullable=True),
        sa.Column("agent_id", pg.UUID(as_uuid=True), nullable=True),
        sa.Column("assignee_id", pg.UUID(as_uuid=True), nullable=True),
        sa.Column("team_id", pg.UUID(as_uuid=True), nullable=True),
        sa.Column("channel_kind", sa.String(length=16), nullable=True),
        sa.Column("organization_id", pg.UUID(as_uuid=True), nullable=True),
        sa.Column("account_manager_id", pg.UUID(as_uuid=True), nullable=True),
        sa.Column("priority", sa.String(length=16), nullable=True),
        sa.Column("playbook_id", sa.String(length=120), nullable=True),
        sa.Column("target", sa.String(length=32), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("breach_by_seconds", sa.Double(), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_metric_samples_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_samples")),
        sa.UniqueConstraint(
            "ticket_id", "metric", "key", name=op.f("uq_metric_samples_ticket_id_metric_key")
        ),
    )
    op.create_index("ix_metric_samples_metric_bucket", "metric_samples", ["metric", "bucket_at"])
    op.create_index("ix_metric_samples_day", "metric_samples", ["day"])
    op.create_index(
        "ix_metric_samples_metric_day",
        "metric_samples",
        ["metric", "day"],
        postgresql_include=[
            "calendar_seconds",
            "business_seconds",
            "within_target",
            "agent_id",
            "team_id",
            "channel_kind",
            "organization_id",
            "priority",
            "playbook_id",
        ],
    )
    op.create_index(
        "ix_metric_samples_active_sla",
        "metric_samples",
        ["day"],
        postgresql_where=sa.text("metric = 'sla' AND outcome = 'active'"),
    )
    op.create_index(op.f("ix_metric_samples_agent_id"), "metric_samples", ["agent_id"])
    op.create_table(
        "metric_daily",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=32), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("agent_id", pg.UUID(as_uuid=True), nullable=True),
        sa.Column("team_id", pg.UUID(as_uuid=True), nullable=True),
        sa.Column("channel_kind", sa.String(length=16), nullable=True),
        sa.Column("organization_id", pg.UUID(as_uuid=True), nullable=True),
        sa.Column("priority", sa.String(length=16), nullable=True),
        sa.Column("playbook_id", sa.String(length=120), nullable=True),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("calendar_sum", sa.Double(), nullable=False),
        sa.Column("business_sum", sa.Double(), nullable=False),
        sa.Column("calendar_max", sa.Double(), nullable=True),
        sa.Column("business_max", sa.Double(), nullable=True),
        sa.Column("within", sa.BigInteger(), nullable=False),
        sa.Column("with_target", sa.BigInteger(), nullable=False),
        sa.Column("rating_sum", sa.BigInteger(), nullable=False),
        sa.Column("rating_good", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_daily")),
    )
    op.create_index("ix_metric_daily_day_metric", "metric_daily", ["day", "metric"])
    _event_kinds((*EVENT_KINDS, *NEW_EVENT_KINDS))


def downgrade() -> None:
    op.execute(
        sa.text("DELETE FROM ticket_events WHERE kind = ANY(:kinds)").bindparams(kinds=list(NEW_EVENT_KINDS))
    )
    _event_kinds(EVENT_KINDS)
    op.drop_index("ix_metric_daily_day_metric", table_name="metric_daily")
    op.drop_table("metric_daily")
    op.drop_index(op.f("ix_metric_samples_agent_id"), table_name="metric_samples")
    op.drop_index("ix_metric_samples_active_sla", table_name="metric_samples")
    op.drop_index("ix_metric_samples_metric_day", table_name="metric_samples")
    op.drop_index("ix_metric_samples_day", table_name="metric_samples")
    op.drop_index("ix_metric_samples_metric_bucket", table_name="metric_samples")
    op.drop_table("metric_samples")
