"""In-app notifications for staff: one row per person told, read or not.

The text is not stored: ``kind`` and ``params`` are rendered through :mod:`hub.i18n` when read, in
the reader's language and time zone.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, created_at, uuid_pk


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_created", "user_id", "created_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    #: An i18n code's suffix: ``sla_warning``, ``sla_breached``.
    kind: Mapped[str] = mapped_column(sa.String(32))
    params: Mapped[dict[str, Any]] = mapped_column(pg.JSONB, default=dict, server_default="{}")
    created_at: Mapped[datetime] = created_at()
    read_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class NotificationSetting(Base):
    """Whether a kind of notification also goes out by e-mail (a row only once an admin chose;
    a kind without one is e-mailed, as every kind was before the setting existed)."""

    __tablename__ = "notification_settings"

    #: A notification kind (:data:`hub.notification_settings.KINDS`).
    kind: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    email: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    updated_at: Mapped[datetime] = created_at()
