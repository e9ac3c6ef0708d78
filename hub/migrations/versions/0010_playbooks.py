"""Playbooks: the versions runs pin, the runs on tickets, and their ticket event kinds.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 07:00:00

* ``playbook_versions``: one row per playbook version a run started with (the file as data).
* ``playbook_runs``: a playbook on a ticket (steps done or skipped, form values); at most one
  active primary run per ticket.
* ``playbook_suggestions``: what was suggested for a ticket when it opened or its scenario changed.
* Ticket event kinds ``playbook_started``, ``playbook_step_done``, ``playbook_step_skipped`` and
  ``playbook_completed``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Copied, not imported: a migration must not change when the code does.
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
)
NEW_EVENT_KINDS = ("playbook_started", "playbook_step_done", "playbook_step_skipped", "playbook_completed")


def _event_kinds(kinds: Sequence[str]) -> None:
    name = op.f("ck_ticket_events_ticket_event_kind")
    op.drop_constraint(name, "ticket_events", type_="check")
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    op.create_check_constraint(name, "ticket_events", f"kind IN ({listed})")


def upgrade() -> None:
    op.create_table(
        "playbook_versions",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("playbook_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_playbook_versions")),
    )
    op.create_index(op.f("ix_playbook_versions_playbook_id"), "playbook_versions", ["playbook_id"])
    op.create_table(
        "playbook_runs",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("playbook_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_primary", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "completed",
                name="playbook_run_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="active",
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_by_id", sa.UUID(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("steps", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("fields", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.ForeignKeyConstraint(
            ["digest"], ["playbook_versions.digest"], name=op.f("fk_playbook_runs_digest_playbook_versions")
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"],
            ["users.id"],
            name=op.f("fk_playbook_runs_started_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_playbook_runs_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_runs")),
    )
    op.create_index(op.f("ix_playbook_runs_ticket_id"), "playbook_runs", ["ticket_id"])
    op.create_index(
        "uq_playbook_runs_active_primary",
        "playbook_runs",
        ["ticket_id"],
        unique=True,
        postgresql_where=sa.text("is_primary AND status = 'active'"),
    )
    op.create_table(
        "playbook_suggestions",
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("cause", sa.String(length=16), nullable=False),
        sa.Column(
            "suggestions", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_playbook_suggestions_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_playbook_suggestions")),
    )
    _event_kinds((*EVENT_KINDS, *NEW_EVENT_KINDS))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM ticket_events WHERE kind LIKE 'playbook_%'"))
    _event_kinds(EVENT_KINDS)
    op.drop_table("playbook_suggestions")
    op.drop_index("uq_playbook_runs_active_primary", table_name="playbook_runs")
    op.drop_index(op.f("ix_playbook_runs_ticket_id"), table_name="playbook_runs")
    op.drop_table("playbook_runs")
    op.drop_index(op.f("ix_playbook_versions_playbook_id"), table_name="playbook_versions")
    op.drop_table("playbook_versions")
