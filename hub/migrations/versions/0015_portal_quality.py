"""Partner portal, part 2: quality cases (8D), meetings, action items, portal links, the portal channel.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 10:10:00

* ``quality_cases`` and their ``quality_steps`` (one per discipline the partner owes, each due in
  the buyer's business time, swept by ``next_due_at``), ``quality_timings`` (a partner's own due
  times), and the sequence that numbers the cases the hub opens (``QC-1001``);
* ``meeting_series``, ``meetings`` and ``action_items``;
* ``portal_links``: single-use, expiring links with a one-time code (hashes only);
* the channel kind ``portal`` on every column that names a channel kind;
* ticket event kinds ``quality_step_answered``, ``quality_step_accepted``,
  ``quality_step_rejected`` and ``quality_step_overdue``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
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
    "playbook_started",
    "playbook_step_done",
    "playbook_step_skipped",
    "playbook_completed",
    "csat_sent",
    "csat_not_sent",
    "csat_cancelled",
    "csat_response",
)
NEW_EVENT_KINDS = (
    "quality_step_answered",
    "quality_step_accepted",
    "quality_step_rejected",
    "quality_step_overdue",
)
CHANNEL_KINDS = ("email", "wechat", "webchat", "phone", "api")
#: (table, column, constraint) of every column that names a channel kind.
CHANNEL_KIND_COLUMNS = (
    ("channels", "kind", "ck_channels_channel_kind"),
    ("contact_identities", "kind", "ck_contact_identities_identity_kind"),
    ("tickets", "channel_kind", "ck_tickets_ticket_channel_kind"),
    ("sla_policies", "channel_kind", "ck_sla_policies_sla_policy_channel_kind"),
)


def _listed(values: Sequence[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _event_kinds(kinds: Sequence[str]) -> None:
    name = op.f("ck_ticket_events_ticket_event_kind")
    op.drop_constraint(name, "ticket_events", type_="check")
    op.create_check_constraint(name, "ticket_events", f"kind IN ({_listed(kinds)})")


def _channel_kinds(kinds: Sequence[str]) -> None:
    for table, column, name in CHANNEL_KIND_COLUMNS:
        op.drop_constraint(op.f(name), table, type_="check")
        op.create_check_constraint(op.f(name), table, f"{column} IN ({_listed(kinds)})")


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence("quality_case_numbers", start=1001)))
    op.create_table(
        "meeting_series",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "weekly_sync",
                "monthly_review",
                name="meeting_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_meeting_series_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_series")),
    )
    op.create_index(
        op.f("ix_meeting_series_organization_id"), "meeting_series", ["organization_id"], unique=False
    )
    op.create_table(
        "quality_timings",
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column(
            "discipline",
            sa.Enum(
                "D1",
                "D2",
                "D3",
                "D4",
                "D5",
                "D6",
                "D7",
                "D8",
                name="quality_discipline",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("duration", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_quality_timings_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", "discipline", name=op.f("pk_quality_timings")),
    )
    op.create_table(
        "meetings",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("series_id", sa.UUID(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "weekly_sync",
                "monthly_review",
                name="meeting_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "held",
                "published",
                "cancelled",
                name="meeting_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="planned",
            nullable=False,
        ),
        sa.Column("agenda", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("minutes", sa.Text(), server_default="", nullable=False),
        sa.Column("attendee_ids", postgresql.ARRAY(sa.UUID()), server_default="{}", nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_meetings_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_meetings_published_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["meeting_series.id"],
            name=op.f("fk_meetings_series_id_meeting_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
        sa.UniqueConstraint("series_id", "scheduled_at", name="uq_meetings_series_id_scheduled_at"),
    )
    op.create_index(op.f("ix_meetings_organization_id"), "meetings", ["organization_id"], unique=False)
    op.create_index(op.f("ix_meetings_series_id"), "meetings", ["series_id"], unique=False)
    op.create_table(
        "portal_links",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column(
            "object_kind",
            sa.Enum(
                "quality_step",
                "action_item",
                name="portal_link_object",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("object_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_portal_links_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_portal_links_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_links_token_hash")),
    )
    op.create_index(op.f("ix_portal_links_user_id"), "portal_links", ["user_id"], unique=False)
    op.create_table(
        "quality_cases",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "severity",
            sa.Enum(
                "critical",
                "major",
                "minor",
                name="quality_severity",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="major",
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "closed",
                "cancelled",
                name="quality_case_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="open",
            nullable=False,
        ),
        sa.Column("item", sa.String(length=120), nullable=True),
        sa.Column("lot", sa.String(length=120), nullable=True),
        sa.Column("calendar", sa.String(length=64), server_default="cn", nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.UUID(), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("external_ref", sa.String(length=200), nullable=True),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(source IS NULL) = (external_ref IS NULL)", name=op.f("ck_quality_cases_source_with_ref")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_quality_cases_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_quality_cases_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_quality_cases_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_cases")),
        sa.UniqueConstraint("number", name=op.f("uq_quality_cases_number")),
        sa.UniqueConstraint("source", "external_ref", name="uq_quality_cases_source_external_ref"),
    )
    op.create_index(
        op.f("ix_quality_cases_organization_id"), "quality_cases", ["organization_id"], unique=False
    )
    op.create_index(op.f("ix_quality_cases_ticket_id"), "quality_cases", ["ticket_id"], unique=False)
    op.create_table(
        "action_items",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("owner_user_id", sa.UUID(), nullable=True),
        sa.Column(
            "owner_side",
            sa.Enum(
                "buyer",
                "partner",
                name="action_item_side",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "done",
                "cancelled",
                name="action_item_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="open",
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.Enum(
                "meeting",
                "quality",
                "ticket",
                "manual",
                name="action_item_source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("meeting_id", sa.UUID(), nullable=True),
        sa.Column("quality_case_id", sa.UUID(), nullable=True),
        sa.Column("ticket_id", sa.UUID(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("length(btrim(title)) > 0", name=op.f("ck_action_items_title_not_blank")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_action_items_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_action_items_meeting_id_meetings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_action_items_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_user_id"],
            ["users.id"],
            name=op.f("fk_action_items_owner_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["quality_case_id"],
            ["quality_cases.id"],
            name=op.f("fk_action_items_quality_case_id_quality_cases"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_action_items_ticket_id_tickets"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_items")),
    )
    op.create_index(
        op.f("ix_action_items_organization_id"), "action_items", ["organization_id"], unique=False
    )
    op.create_table(
        "quality_steps",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column(
            "discipline",
            sa.Enum(
                "D1",
                "D2",
                "D3",
                "D4",
                "D5",
                "D6",
                "D7",
                "D8",
                name="quality_discipline",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("duration", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "answered",
                "accepted",
                "rejected",
                name="quality_step_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="open",
            nullable=False,
        ),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.UUID(), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by_id", sa.UUID(), nullable=True),
        sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status <> 'rejected' OR length(btrim(coalesce(review_comment, ''))) > 0",
            name=op.f("ck_quality_steps_rejection_has_comment"),
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["users.id"],
            name=op.f("fk_quality_steps_answered_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["quality_cases.id"],
            name=op.f("fk_quality_steps_case_id_quality_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_quality_steps_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["users.id"],
            name=op.f("fk_quality_steps_reviewed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_quality_steps_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_steps")),
        sa.UniqueConstraint("case_id", "discipline", name="uq_quality_steps_case_id_discipline"),
    )
    op.create_index(op.f("ix_quality_steps_case_id"), "quality_steps", ["case_id"], unique=False)
    op.create_index(
        "ix_quality_steps_next_due_at",
        "quality_steps",
        ["next_due_at"],
        unique=False,
        postgresql_where=sa.text("next_due_at IS NOT NULL"),
    )
    op.create_index(
        op.f("ix_quality_steps_organization_id"), "quality_steps", ["organization_id"], unique=False
    )
    _event_kinds((*EVENT_KINDS, *NEW_EVENT_KINDS))
    _channel_kinds((*CHANNEL_KINDS, "portal"))


def downgrade() -> None:
    _channel_kinds(CHANNEL_KINDS)
    _event_kinds(EVENT_KINDS)
    for table in (
        "portal_links",
        "action_items",
        "meetings",
        "meeting_series",
        "quality_steps",
        "quality_timings",
        "quality_cases",
    ):
        op.drop_table(table)
    op.execute(sa.schema.DropSequence(sa.Sequence("quality_case_numbers")))
