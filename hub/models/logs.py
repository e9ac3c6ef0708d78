"""Append-only logs: the audit trail and the typed ticket event log.

Database triggers (see the initial migration; migration 0004 adds ``requirement_events``, whose
model lives with the requirements) refuse UPDATE and DELETE on these tables,
so neither a bug nor an operator with SQL can rewrite history that reports are built on.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from hub.domain import TicketEventKind
from hub.models.base import Base, created_at, str_enum

APPEND_ONLY_TABLES = ("audit_events", "ticket_events", "requirement_events")


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_subject", "subject_type", "subject_id"),
        # The audit viewer's period search and its newest-first pages.
        sa.Index("ix_audit_events_at", "at", "id"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    at: Mapped[datetime] = created_at()
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(pg.UUID(as_uuid=True), index=True)
    #: user, system, channel or cli: who acted when no user did.
    actor_kind: Mapped[str] = mapped_column(sa.String(16))
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    subject_type: Mapped[str] = mapped_column(sa.String(32))
    subject_id: Mapped[str] = mapped_column(sa.String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(pg.JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(pg.JSONB)
    reason: Mapped[str | None] = mapped_column(sa.Text)


class TicketEvent(Base):
    __tablename__ = "ticket_events"
    __table_args__ = (
        sa.Index("ix_ticket_events_ticket_at", "ticket_id", "at", "id"),
        # Events that must be recorded once (an SLA warning or breach per clock instance): a second
        # worker's or a retried insert of the same key is refused by the database itself.
        sa.Index(
            "uq_ticket_events_dedupe_key",
            "ticket_id",
            "dedupe_key",
            unique=True,
            postgresql_where=sa.text("dedupe_key IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    ticket_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[TicketEventKind] = mapped_column(str_enum(TicketEventKind, "ticket_event_kind"), index=True)
    at: Mapped[datetime] = created_at()
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(pg.UUID(as_uuid=True))
    message_id: Mapped[uuid.UUID | None] = mapped_column(pg.UUID(as_uuid=True))
    data: Mapped[dict[str, Any]] = mapped_column(pg.JSONB, default=dict, server_default="{}")
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(120))
