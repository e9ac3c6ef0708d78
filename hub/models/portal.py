"""The partner portal's records: orders and their lines, date proposals, delivery schedules,
shipping notices, and what the ERP sync keeps to stay idempotent.

Nothing here is ever deleted: a cancellation is a status, an edit to a submitted shipping notice
is a new version beside the old one. Every row a partner may read carries (or reaches through its
parent) the partner's ``organization_id``, which is what :mod:`hub.scope` filters on.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, str_enum, uuid_pk
from hub.models.base import created_at as stamped
from hub.portal.states import LineStatus, NoticeStatus, OrderStatus, ProposalStatus, ScheduleStatus

QUANTITY = sa.Numeric(14, 3)
PRICE = sa.Numeric(14, 4)


class PortalOrder(Base):
    """A purchase order the ERP owns; the partner answers its lines."""

    __tablename__ = "portal_orders"
    __table_args__ = (sa.UniqueConstraint("organization_id", "number", name="uq_portal_orders_number"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[OrderStatus] = mapped_column(
        str_enum(OrderStatus, "portal_order_status"), default=OrderStatus.OPEN, server_default="open"
    )
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    #: Bumped by every ERP change, so a page can tell it is looking at an older revision.
    revision: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = stamped()
    updated_at: Mapped[datetime] = stamped()


class PortalOrderLine(Base):
    """One line: the ERP owns item, quantity, price and requested date; the partner the rest."""

    __tablename__ = "portal_order_lines"
    __table_args__ = (sa.UniqueConstraint("order_id", "line_no", name="uq_portal_order_lines_line_no"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    order_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("portal_orders.id", ondelete="RESTRICT"))
    line_no: Mapped[int] = mapped_column(sa.Integer)
    item: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    unit: Mapped[str] = mapped_column(sa.String(16))
    unit_price: Mapped[Decimal | None] = mapped_column(PRICE)
    requested_date: Mapped[date] = mapped_column(sa.Date)
    #: The partner's answer (partner-owned: an ERP push never writes these).
    confirmed_date: Mapped[date | None] = mapped_column(sa.Date)
    confirmed_quantity: Mapped[Decimal | None] = mapped_column(QUANTITY)
    confirmed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    reject_reason: Mapped[str | None] = mapped_column(sa.String(500))
    status: Mapped[LineStatus] = mapped_column(
        str_enum(LineStatus, "portal_line_status"), default=LineStatus.OPEN, server_default="open"
    )
    #: Received so far, from the ERP's delivery schedules.
    delivered_quantity: Mapped[Decimal] = mapped_column(QUANTITY, default=Decimal(0), server_default="0")
    updated_at: Mapped[datetime] = stamped()


class DateProposal(Base):
    """A partner's other date (and quantity) for a line, for the account manager to decide in ``2bh``."""

    __tablename__ = "portal_date_proposals"
    __table_args__ = (
        sa.Index(
            "ix_portal_date_proposals_open",
            "organization_id",
            postgresql_where=sa.text("status = 'proposed'"),
        ),
        sa.Index(
            "ix_portal_date_proposals_next_due_at",
            "next_due_at",
            postgresql_where=sa.text("next_due_at IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    line_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("portal_order_lines.id", ondelete="RESTRICT"))
    proposed_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    old_date: Mapped[date | None] = mapped_column(sa.Date)
    proposed_date: Mapped[date] = mapped_column(sa.Date)
    proposed_quantity: Mapped[Decimal | None] = mapped_column(QUANTITY)
    reason: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    status: Mapped[ProposalStatus] = mapped_column(
        str_enum(ProposalStatus, "portal_proposal_status"),
        default=ProposalStatus.PROPOSED,
        server_default="proposed",
    )
    #: The manager's answer is due then, on the buyer's calendar.
    due_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    #: The manager on duty is warned then, if still undecided (the hub's warning lead before ``due_at``).
    warn_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: When the deadline sweep warned, and found it past due undecided (or decided late): each once.
    warned_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    breached_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: The sweep's next instant for this proposal; none once decided or every alert is recorded.
    next_due_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    comment: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = stamped()


class DeliverySchedule(Base):
    """A delivery the ERP plans for a line (a release): due date, quantity, what was received."""

    __tablename__ = "portal_delivery_schedules"

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    line_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("portal_order_lines.id", ondelete="RESTRICT"), index=True
    )
    due_date: Mapped[date] = mapped_column(sa.Date)
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    received_quantity: Mapped[Decimal] = mapped_column(QUANTITY, default=Decimal(0), server_default="0")
    received_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    status: Mapped[ScheduleStatus] = mapped_column(
        str_enum(ScheduleStatus, "portal_schedule_status"), default=ScheduleStatus.OPEN, server_default="open"
    )
    created_at: Mapped[datetime] = stamped()
    updated_at: Mapped[datetime] = stamped()


class ScheduleChange(Base):
    """A partner's change to a delivery schedule line (another date or quantity), one row per
    version: a new one supersedes the open one before it, which is kept. The schedule's own date and
    quantity are the ERP's (:class:`hub.portal.sync.Deliveries` writes them); a change never writes
    them, and the account manager's acceptance records the agreement the ERP is then asked to push."""

    __tablename__ = "portal_schedule_changes"
    __table_args__ = (
        sa.UniqueConstraint("schedule_id", "version", name="uq_portal_schedule_changes_version"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    schedule_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("portal_delivery_schedules.id", ondelete="RESTRICT"), index=True
    )
    version: Mapped[int] = mapped_column(sa.Integer)
    #: What the ERP's schedule said when the change was made, and what the partner proposes.
    old_due_date: Mapped[date] = mapped_column(sa.Date)
    old_quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    due_date: Mapped[date] = mapped_column(sa.Date)
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    reason: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    status: Mapped[ProposalStatus] = mapped_column(
        str_enum(ProposalStatus, "portal_schedule_change_status"),
        default=ProposalStatus.PROPOSED,
        server_default="proposed",
    )
    proposed_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    comment: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = stamped()


class ShippingNotice(Base):
    """An advance shipping notice, one row per version: ``root_id`` names the notice across them."""

    __tablename__ = "portal_shipping_notices"
    __table_args__ = (sa.UniqueConstraint("root_id", "version", name="uq_portal_shipping_notices_version"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    root_id: Mapped[uuid.UUID] = mapped_column(pg.UUID(as_uuid=True), index=True)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[NoticeStatus] = mapped_column(
        str_enum(NoticeStatus, "portal_notice_status"),
        default=NoticeStatus.SUBMITTED,
        server_default="submitted",
    )
    ship_date: Mapped[date] = mapped_column(sa.Date)
    eta: Mapped[date | None] = mapped_column(sa.Date)
    carrier: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    tracking_no: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = stamped()


class ShippingNoticeLine(Base):
    __tablename__ = "portal_shipping_notice_lines"

    id: Mapped[uuid.UUID] = uuid_pk()
    notice_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("portal_shipping_notices.id", ondelete="RESTRICT"), index=True
    )
    line_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("portal_order_lines.id", ondelete="RESTRICT"), index=True
    )
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)


class SyncLink(Base):
    """Which hub record an ERP's ``(entity, source, external_ref)`` is, and what it last sent.

    ``digest`` (of the last body) makes the same push again a no-op; ``source_updated_at`` refuses
    an older one arriving late.
    """

    __tablename__ = "sync_links"
    __table_args__ = (
        sa.UniqueConstraint("entity", "source", "external_ref", name="uq_sync_links_ref"),
        sa.Index("ix_sync_links_object", "entity", "object_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    entity: Mapped[str] = mapped_column(sa.String(32))
    source: Mapped[str] = mapped_column(sa.String(64))
    external_ref: Mapped[str] = mapped_column(sa.String(200))
    object_id: Mapped[uuid.UUID] = mapped_column(pg.UUID(as_uuid=True))
    digest: Mapped[str] = mapped_column(sa.String(64))
    source_updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = stamped()
    updated_at: Mapped[datetime] = stamped()


class SyncIdempotency(Base):
    """A batch's saved answer under its ``Idempotency-Key``: a replay gets it again."""

    __tablename__ = "sync_idempotency"
    __table_args__ = (sa.UniqueConstraint("entity", "key", name="uq_sync_idempotency_key"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    entity: Mapped[str] = mapped_column(sa.String(32))
    key: Mapped[str] = mapped_column(sa.String(200))
    digest: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int] = mapped_column(sa.Integer)
    response: Mapped[dict[str, Any]] = mapped_column(pg.JSONB)
    created_at: Mapped[datetime] = stamped()


class IntegrationToken(Base):
    """A token for a system (the ERP), not a person: its scope says what it may call."""

    __tablename__ = "integration_tokens"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(sa.String(120))
    scope: Mapped[str] = mapped_column(sa.String(32))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = stamped()
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
