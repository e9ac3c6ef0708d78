"""Initial schema: people, contacts, channels, tickets, messages, pipeline and append-only logs.

Revision ID: 0001
Revises:
Create Date: 2026-11-29 05:16:20.765862
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("audit_events", "ticket_events")


def _append_only() -> None:
    """History the reports are built on may be added to, never rewritten."""
    op.execute(
        """
        CREATE FUNCTION hub_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
        END
        $$
        """
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION hub_refuse_change()"
        )


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence("ticket_number_seq", start=10001)))
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor_user_id", sa.UUID(), nullable=True),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_action"), "audit_events", ["action"], unique=False)
    op.create_index(op.f("ix_audit_events_actor_user_id"), "audit_events", ["actor_user_id"], unique=False)
    op.create_index("ix_audit_events_subject", "audit_events", ["subject_type", "subject_id"], unique=False)
    op.create_table(
        "organizations",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "client",
                "partner",
                name="organization_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "tier",
            sa.Enum(
                "core",
                "standard",
                name="organization_tier",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("domains", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("account_manager_id", sa.UUID(), nullable=True),
        sa.Column("backup_manager_id", sa.UUID(), nullable=True),
        sa.Column("calendar", sa.String(length=64), server_default="cn", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("name", name=op.f("uq_organizations_name")),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("name_zh", sa.String(length=120), nullable=True),
        sa.Column("liaison_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_table(
        "channels",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "email",
                "wechat",
                "webchat",
                "phone",
                "api",
                name="channel_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("team_id", sa.UUID(), nullable=True),
        sa.Column("config", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_channels_team_id_teams"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
        sa.UniqueConstraint("name", name=op.f("uq_channels_name")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_channels_token_hash")),
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=True),
        sa.Column("merged_into_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["contacts.id"],
            name=op.f("fk_contacts_merged_into_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_contacts_organization_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    op.create_index(op.f("ix_contacts_organization_id"), "contacts", ["organization_id"], unique=False)
    op.create_table(
        "users",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "agent",
                "supervisor",
                "admin",
                "partner",
                name="user_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("team_id", sa.UUID(), nullable=True),
        sa.Column("organization_id", sa.UUID(), nullable=True),
        sa.Column("locale", sa.String(length=16), server_default="zh-CN", nullable=False),
        sa.Column("time_zone", sa.String(length=64), server_default="Asia/Shanghai", nullable=False),
        sa.Column(
            "presence",
            sa.Enum(
                "available",
                "away",
                "offline",
                name="user_presence",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="available",
            nullable=False,
        ),
        sa.Column("capacity", sa.Integer(), server_default="0", nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_enabled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("last_assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(role = 'partner') = (organization_id IS NOT NULL)",
            name=op.f("ck_users_partner_has_organization"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_users_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_users_team_id_teams"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"], unique=False)
    op.create_table(
        "contact_identities",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("contact_id", sa.UUID(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "email",
                "wechat",
                "webchat",
                "phone",
                "api",
                name="identity_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_contact_identities_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_identities")),
        sa.UniqueConstraint("kind", "value", name=op.f("uq_contact_identities_kind_value")),
    )
    op.create_index(
        op.f("ix_contact_identities_contact_id"), "contact_identities", ["contact_id"], unique=False
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "number", sa.BigInteger(), server_default=sa.text("nextval('ticket_number_seq')"), nullable=False
        ),
        sa.Column("subject", sa.String(length=500), server_default="", nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "open",
                "pending",
                "resolved",
                "closed",
                name="ticket_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="new",
            nullable=False,
        ),
        sa.Column(
            "priority",
            sa.Enum(
                "low",
                "normal",
                "high",
                "urgent",
                name="ticket_priority",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="normal",
            nullable=False,
        ),
        sa.Column(
            "scenario",
            sa.Enum(
                "inquiry",
                "complaint",
                "after_sales",
                "requirement",
                "partner",
                "other",
                name="ticket_scenario",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="inquiry",
            nullable=False,
        ),
        sa.Column("tags", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("contact_id", sa.UUID(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=True),
        sa.Column("channel_id", sa.UUID(), nullable=False),
        sa.Column(
            "channel_kind",
            sa.Enum(
                "email",
                "wechat",
                "webchat",
                "phone",
                "api",
                name="ticket_channel_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("team_id", sa.UUID(), nullable=True),
        sa.Column("assignee_id", sa.UUID(), nullable=True),
        sa.Column("reply_token", sa.String(length=32), nullable=False),
        sa.Column("linked_ticket_id", sa.UUID(), nullable=True),
        sa.Column("reopen_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("escalation_level", sa.Integer(), server_default="0", nullable=False),
        sa.Column("search", postgresql.TSVECTOR(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column(
            "last_message_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_tickets_assignee_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["channel_id"], ["channels.id"], name=op.f("fk_tickets_channel_id_channels")),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_tickets_contact_id_contacts")),
        sa.ForeignKeyConstraint(
            ["linked_ticket_id"],
            ["tickets.id"],
            name=op.f("fk_tickets_linked_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_tickets_organization_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_tickets_team_id_teams"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("number", name=op.f("uq_tickets_number")),
        sa.UniqueConstraint("reply_token", name=op.f("uq_tickets_reply_token")),
    )
    op.create_index(
        "ix_tickets_active_assignee",
        "tickets",
        ["assignee_id"],
        unique=False,
        postgresql_where=sa.text("status IN ('new', 'open', 'pending')"),
    )
    op.create_index(op.f("ix_tickets_channel_id"), "tickets", ["channel_id"], unique=False)
    op.create_index(op.f("ix_tickets_contact_id"), "tickets", ["contact_id"], unique=False)
    op.create_index(op.f("ix_tickets_organization_id"), "tickets", ["organization_id"], unique=False)
    op.create_index(
        "ix_tickets_recent_open_by_contact",
        "tickets",
        ["contact_id", "channel_id", "last_message_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('new', 'open', 'pending')"),
    )
    op.create_index("ix_tickets_search", "tickets", ["search"], unique=False, postgresql_using="gin")
    op.create_index(op.f("ix_tickets_status"), "tickets", ["status"], unique=False)
    op.create_index("ix_tickets_tags", "tickets", ["tags"], unique=False, postgresql_using="gin")
    op.create_index(op.f("ix_tickets_team_id"), "tickets", ["team_id"], unique=False)
    op.create_table(
        "messages",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column(
            "direction",
            sa.Enum(
                "inbound",
                "outbound",
                "note",
                "system",
                name="message_direction",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("type", sa.String(length=32), server_default="text", nullable=False),
        sa.Column("channel_id", sa.UUID(), nullable=True),
        sa.Column("author_user_id", sa.UUID(), nullable=True),
        sa.Column("author_contact_id", sa.UUID(), nullable=True),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("external_id", sa.String(length=500), nullable=True),
        sa.Column("is_auto", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "delivery_status",
            sa.Enum(
                "queued",
                "sending",
                "sent",
                "failed",
                name="delivery_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("delivery_error", sa.Text(), nullable=True),
        sa.Column("meta", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("search", postgresql.TSVECTOR(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_contact_id"],
            ["contacts.id"],
            name=op.f("fk_messages_author_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["users.id"],
            name=op.f("fk_messages_author_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_messages_channel_id_channels"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_messages_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("channel_id", "external_id", name=op.f("uq_messages_channel_id_external_id")),
    )
    op.create_index(op.f("ix_messages_external_id"), "messages", ["external_id"], unique=False)
    op.create_index("ix_messages_search", "messages", ["search"], unique=False, postgresql_using="gin")
    op.create_index("ix_messages_ticket_created", "messages", ["ticket_id", "created_at"], unique=False)
    op.create_table(
        "thread_refs",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("channel_id", sa.UUID(), nullable=False),
        sa.Column("ref", sa.String(length=500), nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_thread_refs_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_thread_refs_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thread_refs")),
        sa.UniqueConstraint("channel_id", "ref", name=op.f("uq_thread_refs_channel_id_ref")),
    )
    op.create_index(op.f("ix_thread_refs_ticket_id"), "thread_refs", ["ticket_id"], unique=False)
    op.create_table(
        "ticket_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
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
                name="ticket_event_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor_user_id", sa.UUID(), nullable=True),
        sa.Column("message_id", sa.UUID(), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_events_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_events")),
    )
    op.create_index(op.f("ix_ticket_events_kind"), "ticket_events", ["kind"], unique=False)
    op.create_index("ix_ticket_events_ticket_at", "ticket_events", ["ticket_id", "at", "id"], unique=False)
    op.create_table(
        "attachments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("message_id", sa.UUID(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_attachments_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index(op.f("ix_attachments_message_id"), "attachments", ["message_id"], unique=False)
    op.create_index(op.f("ix_attachments_sha256"), "attachments", ["sha256"], unique=False)
    op.create_table(
        "outbox",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("message_id", sa.UUID(), nullable=False),
        sa.Column("channel_id", sa.UUID(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "delivering",
                "sent",
                "failed",
                name="outbox_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_outbox_channel_id_channels"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_outbox_message_id_messages"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_message_id")),
    )
    op.create_index(
        "ix_outbox_due",
        "outbox",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('pending', 'delivering')"),
    )
    op.create_table(
        "raw_inbound",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("channel_id", sa.UUID(), nullable=False),
        sa.Column("external_id", sa.String(length=500), nullable=False),
        sa.Column("message", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "processed",
                "failed",
                name="raw_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="received",
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("ticket_id", sa.UUID(), nullable=True),
        sa.Column("message_id", sa.UUID(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_raw_inbound_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_raw_inbound_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_raw_inbound_ticket_id_tickets"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raw_inbound")),
        sa.UniqueConstraint("channel_id", "external_id", name=op.f("uq_raw_inbound_channel_id_external_id")),
    )
    op.create_index(
        "ix_raw_inbound_failed",
        "raw_inbound",
        ["received_at"],
        unique=False,
        postgresql_where=sa.text("status = 'failed'"),
    )
    op.create_foreign_key(
        op.f("fk_organizations_account_manager_id_users"),
        "organizations",
        "users",
        ["account_manager_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_foreign_key(
        op.f("fk_organizations_backup_manager_id_users"),
        "organizations",
        "users",
        ["backup_manager_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_foreign_key(
        op.f("fk_teams_liaison_id_users"), "teams", "users", ["liaison_id"], ["id"], ondelete="SET NULL"
    )
    _append_only()


def downgrade() -> None:
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    op.execute("DROP FUNCTION IF EXISTS hub_refuse_change()")
    op.drop_constraint(op.f("fk_organizations_account_manager_id_users"), "organizations", type_="foreignkey")
    op.drop_constraint(op.f("fk_organizations_backup_manager_id_users"), "organizations", type_="foreignkey")
    op.drop_constraint(op.f("fk_teams_liaison_id_users"), "teams", type_="foreignkey")
    op.drop_index(
        "ix_raw_inbound_failed", table_name="raw_inbound", postgresql_where=sa.text("status = 'failed'")
    )
    op.drop_table("raw_inbound")
    op.drop_index(
        "ix_outbox_due", table_name="outbox", postgresql_where=sa.text("status IN ('pending', 'delivering')")
    )
    op.drop_table("outbox")
    op.drop_index(op.f("ix_attachments_sha256"), table_name="attachments")
    op.drop_index(op.f("ix_attachments_message_id"), table_name="attachments")
    op.drop_table("attachments")
    op.drop_index("ix_ticket_events_ticket_at", table_name="ticket_events")
    op.drop_index(op.f("ix_ticket_events_kind"), table_name="ticket_events")
    op.drop_table("ticket_events")
    op.drop_index(op.f("ix_thread_refs_ticket_id"), table_name="thread_refs")
    op.drop_table("thread_refs")
    op.drop_index("ix_messages_ticket_created", table_name="messages")
    op.drop_index("ix_messages_search", table_name="messages", postgresql_using="gin")
    op.drop_index(op.f("ix_messages_external_id"), table_name="messages")
    op.drop_table("messages")
    op.drop_index(op.f("ix_tickets_team_id"), table_name="tickets")
    op.drop_index("ix_tickets_tags", table_name="tickets", postgresql_using="gin")
    op.drop_index(op.f("ix_tickets_status"), table_name="tickets")
    op.drop_index("ix_tickets_search", table_name="tickets", postgresql_using="gin")
    op.drop_index(
        "ix_tickets_recent_open_by_contact",
        table_name="tickets",
        postgresql_where=sa.text("status IN ('new', 'open', 'pending')"),
    )
    op.drop_index(op.f("ix_tickets_organization_id"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_contact_id"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_channel_id"), table_name="tickets")
    op.drop_index(
        "ix_tickets_active_assignee",
        table_name="tickets",
        postgresql_where=sa.text("status IN ('new', 'open', 'pending')"),
    )
    op.drop_table("tickets")
    op.drop_index(op.f("ix_contact_identities_contact_id"), table_name="contact_identities")
    op.drop_table("contact_identities")
    op.drop_index(op.f("ix_api_tokens_user_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_index(op.f("ix_contacts_organization_id"), table_name="contacts")
    op.drop_table("contacts")
    op.drop_table("channels")
    op.drop_table("teams")
    op.drop_table("organizations")
    op.drop_index("ix_audit_events_subject", table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_actor_user_id"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_action"), table_name="audit_events")
    op.drop_table("audit_events")
    op.execute(sa.schema.DropSequence(sa.Sequence("ticket_number_seq")))
