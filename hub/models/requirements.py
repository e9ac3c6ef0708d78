"""Client requirements recorded from tickets, and their append-only history.

A requirement carries its own feedback clock (the client hears back within ``3bd``) in the row,
with ``next_due_at`` as the sweep's only search key, like ``ticket_sla``. Every change (recording,
transfer, status move, feedback, the sweep's warning and breach) is a ``requirement_events`` row,
which a database trigger keeps append-only.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from hub.domain import Priority, RequirementEventKind, RequirementStatus
from hub.models.base import Base, created_at, str_enum, utcnow, uuid_pk
from hub.sla.targets import ClockStatus


class Requirement(Base):
    __tablename__ = "requirements"
    __table_args__ = (
        sa.Index(
            "ix_requirements_next_due_at", "next_due_at", postgresql_where=sa.text("next_due_at IS NOT NULL")
        ),
        sa.CheckConstraint("length(btrim(content)) > 0", name="content_not_blank"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    ticket_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    #: The client, copied from the ticket: lists by client, and the calendar of the feedback clock.
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    content: Mapped[str] = mapped_column(sa.Text)
    priority: Mapped[Priority] = mapped_column(
        str_enum(Priority, "requirement_priority"), default=Priority.NORMAL, server_default="normal"
    )
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: The department (team) the requirement currently sits with.
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    #: When the requirement is to be delivered, as agreed with the client.
    due_date: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[RequirementStatus] = mapped_column(
        str_enum(RequirementStatus, "requirement_status"),
        default=RequirementStatus.RECORDED,
        server_default="recorded",
        index=True,
    )
    #: The business calendar the feedback clock runs on (the organization's when recorded).
    calendar: Mapped[str] = mapped_column(sa.String(64), default="cn", server_default="cn")
    feedback_state: Mapped[ClockStatus] = mapped_column(
        str_enum(ClockStatus, "requirement_feedback_state"),
        default=ClockStatus.ACTIVE,
        server_default="active",
    )
    feedback_due_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    feedback_warn_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: When the client first heard back (a reply on the ticket, or feedback given elsewhere).
    feedback_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: The earliest feedback warning or breach still owed: what the sweep looks for.
    next_due_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow, server_default=sa.func.now()
    )


class RequirementEvent(Base):
    __tablename__ = "requirement_events"
    __table_args__ = (
        sa.Index("ix_requirement_events_requirement_at", "requirement_id", "at", "id"),
        sa.Index(
            "uq_requirement_events_dedupe_key",
            "requirement_id",
            "dedupe_key",
            unique=True,
            postgresql_where=sa.text("dedupe_key IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    requirement_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("requirements.id", ondelete="CASCADE"))
    kind: Mapped[RequirementEventKind] = mapped_column(
        str_enum(RequirementEventKind, "requirement_event_kind")
    )
    at: Mapped[datetime] = created_at()
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(pg.UUID(as_uuid=True))
    data: Mapped[dict[str, Any]] = mapped_column(pg.JSONB, default=dict, server_default="{}")
    reason: Mapped[str | None] = mapped_column(sa.Text)
    #: Set on events recorded once (the feedback warning and breach).
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(120))
