"""The partner portal's follow-ups and playbooks' last actions.

* Date proposals kept by the deadline sweep (``warn_at``, ``warned_at``, ``breached_at``,
  ``next_due_at``); the quality cases' copies of the ERP's reference dropped (the sync links hold
  it, as for every synced entity).
* ``portal_schedule_changes``: a partner's changes to a delivery schedule line, one row per version.
* ``playbook_followups`` and ``playbook_webhooks`` (``schedule_followup`` and ``webhook``), and the
  ticket event kinds ``followup_scheduled``, ``followup_due``, ``webhook_sent``, ``webhook_failed``.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Copied, not imported: a migration must not change when the code does (0018's list).
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
    "bot_message",
    "bot_handoff",
)
NEW_EVENT_KINDS = ("followup_scheduled", "followup_due", "webhook_sent", "webhook_failed")


def _event_kinds(kinds: Sequence[str]) -> None:
    name = op.f("ck_ticket_events_ticket_event_kind")
    op.drop_constraint(name, "ticket_events", type_="check")
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    op.create_check_constraint(name, "ticket_events", f"kind IN ({listed})")


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

    op.create_table(
        "portal_schedule_changes",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("schedule_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("old_due_date", sa.Date(), nullable=False),
        sa.Column("old_quantity", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column("reason", sa.String(length=500), server_default="", nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "proposed",
                "accepted",
                "rejected",
                "superseded",
                "applied",
                name="portal_schedule_change_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="proposed",
            nullable=False,
        ),
        sa.Column("proposed_by_id", sa.UUID(), nullable=True),
        sa.Column("decided_by_id", sa.UUID(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_portal_schedule_changes_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["portal_delivery_schedules.id"],
            name=op.f("fk_portal_schedule_changes_schedule_id_portal_delivery_schedules"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["users.id"],
            name=op.f("fk_portal_schedule_changes_proposed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_portal_schedule_changes_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_schedule_changes")),
        sa.UniqueConstraint("schedule_id", "version", name="uq_portal_schedule_changes_version"),
    )
    op.create_index(
        op.f("ix_portal_schedule_changes_organization_id"),
        "portal_schedule_changes",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_portal_schedule_changes_schedule_id"),
        "portal_schedule_changes",
        ["schedule_id"],
        unique=False,
    )

    _event_kinds((*EVENT_KINDS, *NEW_EVENT_KINDS))
    op.create_table(
        "playbook_followups",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("playbook_id", sa.String(length=64), nullable=False),
        sa.Column("after", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=500), server_default="", nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_playbook_followups_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_followups")),
    )
    op.create_index(
        op.f("ix_playbook_followups_ticket_id"), "playbook_followups", ["ticket_id"], unique=False
    )
    op.create_index(
        "ix_playbook_followups_next_due_at",
        "playbook_followups",
        ["next_due_at"],
        unique=False,
        postgresql_where=sa.text("next_due_at IS NOT NULL"),
    )
    op.create_table(
        "playbook_webhooks",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("playbook_id", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret_env", sa.String(length=100), nullable=True),
        sa.Column("secret_channel_id", pg.UUID(as_uuid=True), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(secret_env IS NULL) <> (secret_channel_id IS NULL)",
            name=op.f("ck_playbook_webhooks_one_secret"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_playbook_webhooks_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_webhooks")),
    )
    op.create_index(op.f("ix_playbook_webhooks_ticket_id"), "playbook_webhooks", ["ticket_id"], unique=False)
    op.create_index(
        "ix_playbook_webhooks_due",
        "playbook_webhooks",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_table("playbook_webhooks")
    op.drop_table("playbook_followups")
    op.drop_table("portal_schedule_changes")
    op.execute(
        sa.text("DELETE FROM ticket_events WHERE kind = ANY(:kinds)").bindparams(kinds=list(NEW_EVENT_KINDS))
    )
    _event_kinds(EVENT_KINDS)

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
