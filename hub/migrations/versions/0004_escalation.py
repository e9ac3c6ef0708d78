"""Escalation ladder, working hours, hand-offs and the requirement loop.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 08:00:00

* ``teams``: ``lead_id`` (escalation level 1), ``head_id`` (level 2) and ``calendar`` (working
  hours for routing and hand-offs); ``users.is_management`` (level 3).
* ``ticket_sla.escalation_due_at``: when a complaint climbs its next level (the sweep reads the
  existing ``next_due_at`` index, which now also covers escalations).
* ``requirements`` and their append-only ``requirement_events``; ``handoffs``.
* Ticket event kinds ``escalated``, ``deescalated`` and ``handoff_*``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Copied, not imported: a migration must not change when the code does.
CALENDAR_NAME_REGEX = "^[a-z0-9][a-z0-9_-]{0,63}$"
CLOCK_STATES = ("active", "paused", "met", "breached", "void")
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
)
NEW_EVENT_KINDS = (
    "escalated",
    "deescalated",
    "handoff_requested",
    "handoff_answered",
    "handoff_warning",
    "handoff_breached",
)
REQUIREMENT_STATUSES = (
    "recorded",
    "accepted",
    "in_progress",
    "delivered",
    "confirmed",
    "rejected",
    "cancelled",
)
REQUIREMENT_EVENT_KINDS = (
    "recorded",
    "transferred",
    "status_changed",
    "feedback_given",
    "feedback_warning",
    "feedback_breached",
)
PRIORITIES = ("low", "normal", "high", "urgent")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _at(column: str, nullable: bool = True) -> sa.Column:
    return sa.Column(column, sa.DateTime(timezone=True), nullable=nullable)


def _now(column: str) -> sa.Column:
    return sa.Column(column, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _event_kinds(kinds: Sequence[str]) -> None:
    name = op.f("ck_ticket_events_ticket_event_kind")
    op.drop_constraint(name, "ticket_events", type_="check")
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    op.create_check_constraint(name, "ticket_events", f"kind IN ({listed})")


def _teams_and_users() -> None:
    for column in ("lead_id", "head_id"):
        op.add_column("teams", sa.Column(column, sa.UUID(), nullable=True))
        op.create_foreign_key(
            op.f(f"fk_teams_{column}_users"), "teams", "users", [column], ["id"], ondelete="SET NULL"
        )
    op.add_column("teams", sa.Column("calendar", sa.String(length=64), nullable=True))
    op.create_check_constraint(
        op.f("ck_teams_calendar_name"), "teams", f"calendar IS NULL OR calendar ~ '{CALENDAR_NAME_REGEX}'"
    )
    op.add_column(
        "users", sa.Column("is_management", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )
    op.add_column("ticket_sla", _at("escalation_due_at"))


def _requirements() -> None:
    op.create_table(
        "requirements",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column(
            "priority", _enum("requirement_priority", *PRIORITIES), server_default="normal", nullable=False
        ),
        sa.Column("owner_id", sa.UUID(), nullable=True),
        sa.Column("team_id", sa.UUID(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column(
            "status",
            _enum("requirement_status", *REQUIREMENT_STATUSES),
            server_default="recorded",
            nullable=False,
        ),
        sa.Column("calendar", sa.String(length=64), server_default="cn", nullable=False),
        sa.Column(
            "feedback_state",
            _enum("requirement_feedback_state", *CLOCK_STATES),
            server_default="active",
            nullable=False,
        ),
        _at("feedback_due_at", nullable=False),
        _at("feedback_warn_at"),
        _at("feedback_at"),
        _at("next_due_at"),
        sa.Column("created_by_id", sa.UUID(), nullable=True),
        _now("created_at"),
        _now("updated_at"),
        sa.CheckConstraint("length(btrim(content)) > 0", name=op.f("ck_requirements_content_not_blank")),
        _fk("requirements", "ticket_id", "tickets", "CASCADE"),
        _fk("requirements", "organization_id", "organizations", "SET NULL"),
        _fk("requirements", "owner_id", "users", "SET NULL"),
        _fk("requirements", "team_id", "teams", "SET NULL"),
        _fk("requirements", "created_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_requirements")),
    )
    for column in ("ticket_id", "organization_id", "owner_id", "team_id", "status"):
        op.create_index(op.f(f"ix_requirements_{column}"), "requirements", [column], unique=False)
    op.create_index(
        "ix_requirements_next_due_at",
        "requirements",
        ["next_due_at"],
        unique=False,
        postgresql_where=sa.text("next_due_at IS NOT NULL"),
    )
    op.create_table(
        "requirement_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("requirement_id", sa.UUID(), nullable=False),
        sa.Column("kind", _enum("requirement_event_kind", *REQUIREMENT_EVENT_KINDS), nullable=False),
        _now("at"),
        sa.Column("actor_user_id", sa.UUID(), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=120), nullable=True),
        _fk("requirement_events", "requirement_id", "requirements", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_requirement_events")),
    )
    op.create_index(
        "ix_requirement_events_requirement_at",
        "requirement_events",
        ["requirement_id", "at", "id"],
        unique=False,
    )
    op.create_index(
        "uq_requirement_events_dedupe_key",
        "requirement_events",
        ["requirement_id", "dedupe_key"],
        unique=True,
        postgresql_where=sa.text("dedupe_key IS NOT NULL"),
    )
    # hub_refuse_change() comes from the initial migration.
    op.execute(
        "CREATE TRIGGER requirement_events_append_only BEFORE UPDATE OR DELETE ON requirement_events "
        "FOR EACH ROW EXECUTE FUNCTION hub_refuse_change()"
    )


def _handoffs() -> None:
    op.create_table(
        "handoffs",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("from_user_id", sa.UUID(), nullable=True),
        sa.Column("from_team_id", sa.UUID(), nullable=True),
        sa.Column("to_team_id", sa.UUID(), nullable=True),
        sa.Column("liaison_id", sa.UUID(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "status", _enum("handoff_status", "open", "answered"), server_default="open", nullable=False
        ),
        sa.Column("calendar", sa.String(length=64), server_default="cn", nullable=False),
        sa.Column("state", _enum("handoff_state", *CLOCK_STATES), server_default="active", nullable=False),
        _at("due_at", nullable=False),
        _at("warn_at"),
        _at("answered_at"),
        sa.Column("answered_by_id", sa.UUID(), nullable=True),
        sa.Column("answer_message_id", sa.UUID(), nullable=True),
        _at("next_due_at"),
        _now("created_at"),
        _fk("handoffs", "ticket_id", "tickets", "CASCADE"),
        _fk("handoffs", "from_user_id", "users", "SET NULL"),
        _fk("handoffs", "from_team_id", "teams", "SET NULL"),
        _fk("handoffs", "to_team_id", "teams", "SET NULL"),
        _fk("handoffs", "liaison_id", "users", "SET NULL"),
        _fk("handoffs", "answered_by_id", "users", "SET NULL"),
        _fk("handoffs", "answer_message_id", "messages", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoffs")),
    )
    for column in ("ticket_id", "to_team_id", "liaison_id"):
        op.create_index(op.f(f"ix_handoffs_{column}"), "handoffs", [column], unique=False)
    op.create_index(
        "ix_handoffs_next_due_at",
        "handoffs",
        ["next_due_at"],
        unique=False,
        postgresql_where=sa.text("next_due_at IS NOT NULL"),
    )
    op.create_index(
        "ix_handoffs_open_ticket",
        "handoffs",
        ["ticket_id"],
        unique=False,
        postgresql_where=sa.text("status = 'open'"),
    )


def upgrade() -> None:
    _teams_and_users()
    _requirements()
    _handoffs()
    _event_kinds(EVENT_KINDS + NEW_EVENT_KINDS)


def downgrade() -> None:
    # Escalation and hand-off events cannot be deleted from the append-only log, so the old
    # constraint would not hold: the widened one stays.
    op.drop_table("handoffs")
    op.execute("DROP TRIGGER IF EXISTS requirement_events_append_only ON requirement_events")
    op.drop_table("requirement_events")
    op.drop_table("requirements")
    op.drop_column("ticket_sla", "escalation_due_at")
    op.drop_column("users", "is_management")
    op.drop_constraint(op.f("ck_teams_calendar_name"), "teams", type_="check")
    op.drop_column("teams", "calendar")
    for column in ("head_id", "lead_id"):
        op.drop_constraint(op.f(f"fk_teams_{column}_users"), "teams", type_="foreignkey")
        op.drop_column("teams", column)
