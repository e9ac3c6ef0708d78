"""Satisfaction surveys, decisions to the front line, and the audit viewer's index.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 10:00:00

* ``csat_surveys``: one row per survey planned for a resolved ticket (at most one live per ticket).
* ``csat_settings``: the admins' survey settings (one row; absent, the defaults apply).
* ``decisions`` and ``decision_receipts``: decisions and versioned guidelines published to teams or
  everyone, and each recipient's read and feedback times against their due instants.
* ``ix_audit_events_at``: the audit viewer searches by period, newest first.
* Ticket event kinds ``csat_sent``, ``csat_not_sent``, ``csat_cancelled`` and ``csat_response``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
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
)
NEW_EVENT_KINDS = ("csat_sent", "csat_not_sent", "csat_cancelled", "csat_response")


def _event_kinds(kinds: Sequence[str]) -> None:
    name = op.f("ck_ticket_events_ticket_event_kind")
    op.drop_constraint(name, "ticket_events", type_="check")
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    op.create_check_constraint(name, "ticket_events", f"kind IN ({listed})")


def upgrade() -> None:
    op.create_table(
        "csat_surveys",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("contact_id", sa.UUID(), nullable=False),
        sa.Column("state", sa.String(length=16), server_default="scheduled", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("channel_id", sa.UUID(), nullable=True),
        sa.Column("channel_kind", sa.String(length=16), nullable=True),
        sa.Column("message_id", sa.UUID(), nullable=True),
        sa.Column("locale", sa.String(length=8), server_default="zh-CN", nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("followup_user_ids", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.CheckConstraint(
            "state IN ('scheduled', 'sent', 'not_sent', 'cancelled', 'answered')",
            name=op.f("ck_csat_surveys_state_known"),
        ),
        sa.CheckConstraint(
            "rating IS NULL OR rating BETWEEN 1 AND 5", name=op.f("ck_csat_surveys_rating_range")
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_csat_surveys_channel_id_channels"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_csat_surveys_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_csat_surveys_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_csat_surveys_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csat_surveys")),
    )
    op.create_index(op.f("ix_csat_surveys_ticket_id"), "csat_surveys", ["ticket_id"])
    op.create_index(
        "uq_csat_surveys_live_ticket",
        "csat_surveys",
        ["ticket_id"],
        unique=True,
        postgresql_where=sa.text("state IN ('scheduled', 'sent', 'answered')"),
    )
    op.create_index(
        "ix_csat_surveys_due", "csat_surveys", ["due_at"], postgresql_where=sa.text("state = 'scheduled'")
    )
    op.create_index("ix_csat_surveys_contact_sent", "csat_surveys", ["contact_id", "sent_at"])
    op.create_table(
        "csat_settings",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("delay_minutes", sa.Integer(), server_default="60", nullable=False),
        sa.Column("webchat_delay_minutes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("contact_cap_days", sa.Integer(), server_default="7", nullable=False),
        sa.Column("texts", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by_id", sa.UUID(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_csat_settings_single_row")),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_csat_settings_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csat_settings")),
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("series_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("team_ids", postgresql.ARRAY(sa.UUID()), server_default="{}", nullable=False),
        sa.Column("published_by_id", sa.UUID(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_within", sa.String(length=16), nullable=False),
        sa.Column("feedback_within", sa.String(length=16), nullable=False),
        sa.Column("calendar", sa.String(length=64), nullable=False),
        sa.CheckConstraint("kind IN ('decision', 'guideline')", name=op.f("ck_decisions_kind_known")),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_decisions_published_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
        sa.UniqueConstraint("series_id", "version", name="uq_decisions_series_version"),
    )
    op.create_index(op.f("ix_decisions_series_id"), "decisions", ["series_id"])
    op.create_index(op.f("ix_decisions_published_at"), "decisions", ["published_at"])
    op.create_table(
        "decision_receipts",
        sa.Column("decision_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("read_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("feedback_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("feedback_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.id"],
            name=op.f("fk_decision_receipts_decision_id_decisions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_decision_receipts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("decision_id", "user_id", name=op.f("pk_decision_receipts")),
    )
    op.create_index("ix_decision_receipts_user_unread", "decision_receipts", ["user_id", "read_at"])
    op.create_index("ix_audit_events_at", "audit_events", ["at", "id"])
    _event_kinds((*EVENT_KINDS, *NEW_EVENT_KINDS))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM ticket_events WHERE kind LIKE 'csat_%'"))
    _event_kinds(EVENT_KINDS)
    op.drop_index("ix_audit_events_at", table_name="audit_events")
    op.drop_table("decision_receipts")
    op.drop_table("decisions")
    op.drop_table("csat_settings")
    op.drop_table("csat_surveys")
