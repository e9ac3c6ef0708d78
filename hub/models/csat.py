"""Satisfaction surveys (CSAT): one row per survey the hub planned for a resolved ticket, and the
admins' survey settings.

The ticket's event log says what happened to a survey (``csat_sent``, ``csat_not_sent``,
``csat_cancelled``, ``csat_response``) and is what reports count; this row is the survey's working
state: when it is due, through which channel it went, and the answer it got.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, created_at, uuid_pk

#: A survey's states: due later, gone out, not sent (with the reason), cancelled, answered.
SURVEY_STATES = ("scheduled", "sent", "not_sent", "cancelled", "answered")
#: States that count as "the ticket has its survey" (one per ticket).
LIVE_STATES = ("scheduled", "sent", "answered")


class CsatSurvey(Base):
    __tablename__ = "csat_surveys"
    __table_args__ = (
        sa.CheckConstraint(
            "state IN ('scheduled', 'sent', 'not_sent', 'cancelled', 'answered')", name="state_known"
        ),
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
        # One survey per ticket: a second resolution does not survey again once one went out.
        sa.Index(
            "uq_csat_surveys_live_ticket",
            "ticket_id",
            unique=True,
            postgresql_where=sa.text("state IN ('scheduled', 'sent', 'answered')"),
        ),
        sa.Index("ix_csat_surveys_due", "due_at", postgresql_where=sa.text("state = 'scheduled'")),
        sa.Index("ix_csat_surveys_contact_sent", "contact_id", "sent_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    ticket_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(sa.String(16), server_default="scheduled")
    created_at: Mapped[datetime] = created_at()
    due_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    #: ``csat_not_sent`` / ``csat_cancelled``'s reason.
    reason: Mapped[str | None] = mapped_column(sa.String(32))
    channel_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("channels.id", ondelete="SET NULL"))
    channel_kind: Mapped[str | None] = mapped_column(sa.String(16))
    #: The survey as a message on the ticket (delivered through the outbox like a reply).
    message_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("messages.id", ondelete="SET NULL"))
    locale: Mapped[str] = mapped_column(sa.String(8), server_default="zh-CN")
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    rating: Mapped[int | None] = mapped_column(sa.SmallInteger)
    comment: Mapped[str | None] = mapped_column(sa.Text)
    answered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: Who was asked to follow a low rating up (the account manager, else the team lead).
    followup_user_ids: Mapped[list[str]] = mapped_column(pg.ARRAY(sa.Text), server_default="{}")


class CsatSettings(Base):
    """The admins' survey settings: one row (``id`` 1); absent, the defaults apply."""

    __tablename__ = "csat_settings"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())
    delay_minutes: Mapped[int] = mapped_column(sa.Integer, server_default="60")
    webchat_delay_minutes: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    contact_cap_days: Mapped[int] = mapped_column(sa.Integer, server_default="7")
    #: Per locale, the texts an admin changed (``{"en": {"email_subject": ...}}``); the rest default.
    texts: Mapped[dict[str, Any]] = mapped_column(pg.JSONB, server_default="{}")
    updated_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
