"""Stored business calendars and an administrator's day overrides.

The built-in ``cn`` needs no row: a row appears when someone overrides one of its days or creates
another calendar. Days hold only overrides; the base's days (China's statutory holidays) come from
``chinese_calendar`` at load time, so a package upgrade brings next year's schedule with no data
migration, and an override always wins.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from hub.calendars.model import DayKind
from hub.calendars.names import NAME_REGEX
from hub.models.base import Base, created_at, str_enum, utcnow, uuid_pk


class BusinessCalendar(Base):
    __tablename__ = "calendars"
    __table_args__ = (
        sa.CheckConstraint(f"name ~ '{NAME_REGEX}'", name="name_format"),
        sa.CheckConstraint("base IS NULL OR base IN ('cn')", name="known_base"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    time_zone: Mapped[str] = mapped_column(sa.String(64))
    #: ``{"mon": ["09:00-12:00", "13:00-18:00"], ..., "sun": []}``
    weekly_periods: Mapped[dict[str, Any]] = mapped_column(pg.JSONB)
    #: Where holidays come from: ``cn`` (China's statutory days) or none.
    base: Mapped[str | None] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow, server_default=sa.func.now()
    )


class CalendarDay(Base):
    __tablename__ = "calendar_days"
    __table_args__ = (
        sa.UniqueConstraint("calendar_id", "day"),
        sa.CheckConstraint("kind = 'workday' OR periods IS NULL", name="holiday_has_no_periods"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    calendar_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("calendars.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(sa.Date)
    kind: Mapped[DayKind] = mapped_column(str_enum(DayKind, "calendar_day_kind"))
    #: A workday's own periods (``["09:00-12:00"]``); null means the calendar's standard day.
    periods: Mapped[list[str] | None] = mapped_column(pg.JSONB(none_as_null=True))
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = created_at()
