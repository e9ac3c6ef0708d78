"""SLA policies, each ticket's persisted clocks, staff notifications, SLA event kinds.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 08:00:00

No policy rows are seeded: the built-in defaults (hub.sla.defaults) apply whenever no stored policy
matches, so an empty table already keeps the promises. Tickets that exist before this revision get
their clocks at their next event, or all at once with ``hub sla recompute``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Copied, not imported: a migration must not change when the code does.
SPEC_REGEX = "^[1-9][0-9]*b?[mhd]$"
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
)
SLA_EVENT_KINDS = ("sla_warning", "sla_breached")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _state(column: str) -> sa.Column:
    return sa.Column(column, _enum(f"ticket_sla_{column}", *CLOCK_STATES), nullable=True)


def _at(column: str) -> sa.Column:
    return sa.Column(column, sa.DateTime(timezone=True), nullable=True)


def _event_kinds(kinds: Sequence[str]) -> None:
    name = op.f("ck_ticket_events_ticket_event_kind")
    op.drop_constraint(name, "ticket_events", type_="check")
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    op.create_check_constraint(name, "ticket_events", f"kind IN ({listed})")


def upgrade() -> None:
    op.create_table(
        "sla_policies",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "channel_kind",
            _enum("sla_policy_channel_kind", "email", "wechat", "webchat", "phone", "api"),
            nullable=True,
        ),
        sa.Column("priority", _enum("sla_policy_priority", "low", "normal", "high", "urgent"), nullable=True),
        sa.Column("tier", _enum("sla_policy_tier", "core", "standard"), nullable=True),
        sa.Column("first_response", sa.String(length=16), nullable=True),
        sa.Column("next_response", sa.String(length=16), nullable=True),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        *(
            sa.CheckConstraint(
                f"{column} IS NULL OR {column} ~ '{SPEC_REGEX}'", name=op.f(f"ck_sla_policies_{column}_spec")
            )
            for column in ("first_response", "next_response", "resolution")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policies")),
        sa.UniqueConstraint("name", name=op.f("uq_sla_policies_name")),
    )
    op.create_table(
        "ticket_sla",
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("policy_id", sa.UUID(), nullable=True),
        sa.Column("policy_name", sa.String(length=120), nullable=True),
        sa.Column("calendar", sa.String(length=64), server_default="cn", nullable=False),
        sa.Column("cycle", sa.Integer(), server_default="1", nullable=False),
        _at("paused_since"),
        _at("waiting_since"),
        *(
            column
            for target in ("first_response", "next_response", "resolution")
            for column in (
                _state(f"{target}_state"),
                _at(f"{target}_due_at"),
                _at(f"{target}_at"),
                _at(f"{target}_breached_at"),
            )
        ),
        sa.Column("breached", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        _at("warning_at"),
        _at("next_due_at"),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["sla_policies.id"],
            name=op.f("fk_ticket_sla_policy_id_sla_policies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_sla_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket_sla")),
    )
    op.create_index(
        "ix_ticket_sla_next_due_at",
        "ticket_sla",
        ["next_due_at"],
        unique=False,
        postgresql_where=sa.text("next_due_at IS NOT NULL"),
    )
    op.create_index(op.f("ix_ticket_sla_policy_id"), "ticket_sla", ["policy_id"], unique=False)
    op.create_table(
        "notifications",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_notifications_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index(op.f("ix_notifications_ticket_id"), "notifications", ["ticket_id"], unique=False)
    op.create_index("ix_notifications_user_created", "notifications", ["user_id", "created_at"], unique=False)
    # Nullable without a default: PostgreSQL adds it without rewriting the (append-only) table.
    op.add_column("ticket_events", sa.Column("dedupe_key", sa.String(length=120), nullable=True))
    op.create_index(
        "uq_ticket_events_dedupe_key",
        "ticket_events",
        ["ticket_id", "dedupe_key"],
        unique=True,
        postgresql_where=sa.text("dedupe_key IS NOT NULL"),
    )
    _event_kinds(EVENT_KINDS + SLA_EVENT_KINDS)


def downgrade() -> None:
    # SLA events cannot be deleted from the append-only log, so the old constraint would not hold:
    # the widened one stays.
    op.drop_index("uq_ticket_events_dedupe_key", table_name="ticket_events")
    op.drop_column("ticket_events", "dedupe_key")
    op.drop_index("ix_notifications_user_created", table_name="notifications")
    op.drop_index(op.f("ix_notifications_ticket_id"), table_name="notifications")
    op.drop_table("notifications")
    op.drop_index(op.f("ix_ticket_sla_policy_id"), table_name="ticket_sla")
    op.drop_index("ix_ticket_sla_next_due_at", table_name="ticket_sla")
    op.drop_table("ticket_sla")
    op.drop_table("sla_policies")
