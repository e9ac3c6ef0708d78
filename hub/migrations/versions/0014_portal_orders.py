"""Partner portal orders: order lines, date proposals, delivery schedules, shipping notices (each
version a row), the ERP sync's links and idempotency keys, integration tokens; a partner may be
trusted and have an over-delivery tolerance.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 09:36:29.540604
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "integration_tokens",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_integration_tokens_token_hash")),
    )
    op.create_table(
        "sync_idempotency",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_idempotency")),
        sa.UniqueConstraint("entity", "key", name="uq_sync_idempotency_key"),
    )
    op.create_table(
        "sync_links",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("external_ref", sa.String(length=200), nullable=False),
        sa.Column("object_id", sa.UUID(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_links")),
        sa.UniqueConstraint("entity", "source", "external_ref", name="uq_sync_links_ref"),
    )
    op.create_index("ix_sync_links_object", "sync_links", ["entity", "object_id"], unique=False)
    op.create_table(
        "portal_orders",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "closed",
                "cancelled",
                name="portal_order_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="open",
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("revision", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_portal_orders_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_orders")),
        sa.UniqueConstraint("organization_id", "number", name="uq_portal_orders_number"),
    )
    op.create_index(
        op.f("ix_portal_orders_organization_id"), "portal_orders", ["organization_id"], unique=False
    )
    op.create_table(
        "portal_order_lines",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=120), nullable=False),
        sa.Column("description", sa.String(length=500), server_default="", nullable=False),
        sa.Column("quantity", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("requested_date", sa.Date(), nullable=False),
        sa.Column("confirmed_date", sa.Date(), nullable=True),
        sa.Column("confirmed_quantity", sa.Numeric(precision=14, scale=3), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reject_reason", sa.String(length=500), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "confirmed",
                "changes_proposed",
                "rejected",
                "cancelled",
                name="portal_line_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="open",
            nullable=False,
        ),
        sa.Column(
            "delivered_quantity", sa.Numeric(precision=14, scale=3), server_default="0", nullable=False
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["portal_orders.id"],
            name=op.f("fk_portal_order_lines_order_id_portal_orders"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_order_lines")),
        sa.UniqueConstraint("order_id", "line_no", name="uq_portal_order_lines_line_no"),
    )
    op.create_table(
        "portal_shipping_notices",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("root_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "superseded",
                "cancelled",
                name="portal_notice_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="submitted",
            nullable=False,
        ),
        sa.Column("ship_date", sa.Date(), nullable=False),
        sa.Column("eta", sa.Date(), nullable=True),
        sa.Column("carrier", sa.String(length=120), server_default="", nullable=False),
        sa.Column("tracking_no", sa.String(length=120), server_default="", nullable=False),
        sa.Column("created_by_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_portal_shipping_notices_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_portal_shipping_notices_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_shipping_notices")),
        sa.UniqueConstraint("root_id", "version", name="uq_portal_shipping_notices_version"),
    )
    op.create_index(
        op.f("ix_portal_shipping_notices_organization_id"),
        "portal_shipping_notices",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_portal_shipping_notices_root_id"), "portal_shipping_notices", ["root_id"], unique=False
    )
    op.create_table(
        "portal_date_proposals",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("line_id", sa.UUID(), nullable=False),
        sa.Column("proposed_by_id", sa.UUID(), nullable=True),
        sa.Column("old_date", sa.Date(), nullable=True),
        sa.Column("proposed_date", sa.Date(), nullable=False),
        sa.Column("proposed_quantity", sa.Numeric(precision=14, scale=3), nullable=True),
        sa.Column("reason", sa.String(length=500), server_default="", nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "proposed",
                "accepted",
                "rejected",
                "superseded",
                "applied",
                name="portal_proposal_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="proposed",
            nullable=False,
        ),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.UUID(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_portal_date_proposals_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["portal_order_lines.id"],
            name=op.f("fk_portal_date_proposals_line_id_portal_order_lines"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_portal_date_proposals_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["users.id"],
            name=op.f("fk_portal_date_proposals_proposed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_date_proposals")),
    )
    op.create_index(
        "ix_portal_date_proposals_open",
        "portal_date_proposals",
        ["organization_id"],
        unique=False,
        postgresql_where=sa.text("status = 'proposed'"),
    )
    op.create_index(
        op.f("ix_portal_date_proposals_organization_id"),
        "portal_date_proposals",
        ["organization_id"],
        unique=False,
    )
    op.create_table(
        "portal_delivery_schedules",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("line_id", sa.UUID(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column("received_quantity", sa.Numeric(precision=14, scale=3), server_default="0", nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "cancelled",
                name="portal_schedule_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="open",
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["portal_order_lines.id"],
            name=op.f("fk_portal_delivery_schedules_line_id_portal_order_lines"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_portal_delivery_schedules_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_delivery_schedules")),
    )
    op.create_index(
        op.f("ix_portal_delivery_schedules_line_id"), "portal_delivery_schedules", ["line_id"], unique=False
    )
    op.create_index(
        op.f("ix_portal_delivery_schedules_organization_id"),
        "portal_delivery_schedules",
        ["organization_id"],
        unique=False,
    )
    op.create_table(
        "portal_shipping_notice_lines",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("notice_id", sa.UUID(), nullable=False),
        sa.Column("line_id", sa.UUID(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["portal_order_lines.id"],
            name=op.f("fk_portal_shipping_notice_lines_line_id_portal_order_lines"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["portal_shipping_notices.id"],
            name=op.f("fk_portal_shipping_notice_lines_notice_id_portal_shipping_notices"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_shipping_notice_lines")),
    )
    op.create_index(
        op.f("ix_portal_shipping_notice_lines_line_id"),
        "portal_shipping_notice_lines",
        ["line_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_portal_shipping_notice_lines_notice_id"),
        "portal_shipping_notice_lines",
        ["notice_id"],
        unique=False,
    )
    op.add_column(
        "organizations",
        sa.Column("trusted_partner", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column(
        "organizations",
        sa.Column(
            "over_delivery_tolerance_percent",
            sa.Numeric(precision=5, scale=2),
            server_default="0",
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("organizations", "over_delivery_tolerance_percent")
    op.drop_column("organizations", "trusted_partner")
    op.drop_index(
        op.f("ix_portal_shipping_notice_lines_notice_id"), table_name="portal_shipping_notice_lines"
    )
    op.drop_index(op.f("ix_portal_shipping_notice_lines_line_id"), table_name="portal_shipping_notice_lines")
    op.drop_table("portal_shipping_notice_lines")
    op.drop_index(
        op.f("ix_portal_delivery_schedules_organization_id"), table_name="portal_delivery_schedules"
    )
    op.drop_index(op.f("ix_portal_delivery_schedules_line_id"), table_name="portal_delivery_schedules")
    op.drop_table("portal_delivery_schedules")
    op.drop_index(op.f("ix_portal_date_proposals_organization_id"), table_name="portal_date_proposals")
    op.drop_index(
        "ix_portal_date_proposals_open",
        table_name="portal_date_proposals",
        postgresql_where=sa.text("status = 'proposed'"),
    )
    op.drop_table("portal_date_proposals")
    op.drop_index(op.f("ix_portal_shipping_notices_root_id"), table_name="portal_shipping_notices")
    op.drop_index(op.f("ix_portal_shipping_notices_organization_id"), table_name="portal_shipping_notices")
    op.drop_table("portal_shipping_notices")
    op.drop_table("portal_order_lines")
    op.drop_index(op.f("ix_portal_orders_organization_id"), table_name="portal_orders")
    op.drop_table("portal_orders")
    op.drop_index("ix_sync_links_object", table_name="sync_links")
    op.drop_table("sync_links")
    op.drop_table("sync_idempotency")
    op.drop_table("integration_tokens")
