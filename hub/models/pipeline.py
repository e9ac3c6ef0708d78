"""The durable edges of the pipeline: raw inbound payloads and the outbound delivery outbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from hub.domain import OutboxStatus, RawStatus
from hub.models.base import Base, created_at, str_enum, utcnow, uuid_pk


class RawInbound(Base):
    """Every inbound payload, stored before processing so nothing is lost when processing fails."""

    __tablename__ = "raw_inbound"
    __table_args__ = (
        sa.UniqueConstraint("channel_id", "external_id"),
        sa.Index("ix_raw_inbound_failed", "received_at", postgresql_where=sa.text("status = 'failed'")),
        #: The re-drive sweep reads only payloads accepted but not yet processed.
        sa.Index("ix_raw_inbound_received", "received_at", postgresql_where=sa.text("status = 'received'")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    channel_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("channels.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(sa.String(500))
    #: The normalised InboundMessage (msgspec JSON) so processing can be re-driven exactly.
    message: Mapped[dict[str, Any]] = mapped_column(pg.JSONB)
    #: The channel's original bytes (an .eml, a WeChat XML body...), when it has them.
    payload: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    status: Mapped[RawStatus] = mapped_column(
        str_enum(RawStatus, "raw_status"), default=RawStatus.RECEIVED, server_default="received"
    )
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(sa.Text)
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("tickets.id", ondelete="SET NULL"))
    message_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("messages.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = created_at()
    processed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class Outbox(Base):
    """One outbound delivery, committed with its message; the worker moves it to sent or failed."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index(
            "ix_outbox_due",
            "next_attempt_at",
            postgresql_where=sa.text("status IN ('pending', 'delivering')"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    message_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="CASCADE"), unique=True
    )
    channel_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("channels.id", ondelete="CASCADE"))
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING, server_default="pending"
    )
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    #: When the row is next due: a retry's time, or for ``delivering`` the end of the worker's lease.
    next_attempt_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, server_default=sa.func.now()
    )
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow, server_default=sa.func.now()
    )
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
