"""Business calendars by name: loading them with their overrides, and the administrator's edits.

``cn`` works with no row at all. The first override of a ``cn`` day creates its row (Shanghai
office hours, base ``cn``), so the built-in and an edited ``cn`` are the same calendar. Every edit
is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.actors import Actor
from hub.calendars import builtin, china
from hub.calendars.model import Calendar, DayKind, SpecialDay
from hub.calendars.names import check_name
from hub.calendars.periods import Period, check_periods
from hub.calendars.weekly import Week, describe_week, week_from_json, week_to_json
from hub.core import Hub
from hub.db import flush_unique
from hub.errors import Conflict, InvalidInput, NotFound
from hub.events.admin import SettingsChanged
from hub.models import BusinessCalendar, CalendarDay


class CalendarNotFound(NotFound):
    code = "calendar_not_found"


@dataclass(frozen=True)
class CalendarSummary:
    name: str
    time_zone: str
    week: str
    base: str | None
    source: str
    admin_days: int
    builtin: bool


def _special_day(row: CalendarDay) -> SpecialDay:
    periods = check_periods(Period.parse(p) for p in row.periods or [])
    return SpecialDay(row.day, row.kind, periods=periods, note=row.note or "", source="admin")


def _assemble(row: BusinessCalendar, days: list[CalendarDay]) -> Calendar:
    week = week_from_json(row.weekly_periods)
    return builtin.assemble(row.name, row.time_zone, week, row.base, (_special_day(d) for d in days))


async def _row(session: AsyncSession, name: str) -> BusinessCalendar | None:
    return await session.scalar(sa.select(BusinessCalendar).where(BusinessCalendar.name == name))


async def _known_names(session: AsyncSession) -> list[str]:
    stored = await session.scalars(sa.select(BusinessCalendar.name))
    return sorted({*builtin.BUILTIN, *stored})


async def _require_row(session: AsyncSession, name: str) -> BusinessCalendar:
    """The calendar's row; a built-in calendar gets its row on first edit."""
    row = await _row(session, name)
    if row is not None:
        return row
    if name == "cn":
        row = BusinessCalendar(
            name="cn", time_zone=china.ZONE, weekly_periods=week_to_json(builtin.cn_week()), base="cn"
        )
        session.add(row)
        await session.flush()
        return row
    raise CalendarNotFound(name=name, known=", ".join(await _known_names(session)))


async def load_calendar(hub: Hub, name: str) -> Calendar:
    """The calendar called ``name`` with the administrator's overrides applied."""
    check_name(name)
    async with hub.uow() as uow:
        return await calendar_in(uow.session, name)


async def calendar_in(session: AsyncSession, name: str) -> Calendar:
    """:func:`load_calendar` inside a caller's transaction (the SLA clocks read it with the events)."""
    row = await _row(session, name)
    if row is None:
        found = builtin.builtin(name)
        if found is None:
            raise CalendarNotFound(name=name, known=", ".join(await _known_names(session)))
        return found
    days = list(await session.scalars(sa.select(CalendarDay).where(CalendarDay.calendar_id == row.id)))
    return _assemble(row, days)


async def list_calendars(hub: Hub) -> list[CalendarSummary]:
    async with hub.uow() as uow:
        counts = (
            sa.select(CalendarDay.calendar_id, sa.func.count().label("days"))
            .group_by(CalendarDay.calendar_id)
            .subquery()
        )
        rows = (
            await uow.session.execute(
                sa.select(BusinessCalendar, sa.func.coalesce(counts.c.days, 0)).outerjoin(
                    counts, counts.c.calendar_id == BusinessCalendar.id
                )
            )
        ).all()
    summaries = {
        row.name: CalendarSummary(
            name=row.name,
            time_zone=row.time_zone,
            week=describe_week(week_from_json(row.weekly_periods)),
            base=row.base,
            source=china.describe_source() if row.base == "cn" else "",
            admin_days=days,
            builtin=row.name in builtin.BUILTIN,
        )
        for row, days in rows
    }
    if "cn" not in summaries:
        summaries["cn"] = CalendarSummary(
            name="cn",
            time_zone=china.ZONE,
            week=describe_week(builtin.cn_week()),
            base="cn",
            source=china.describe_source(),
            admin_days=0,
            builtin=True,
        )
    return [summaries[name] for name in sorted(summaries)]


async def create_calendar(
    hub: Hub, actor: Actor, *, name: str, time_zone: str, week: Week, base: str | None
) -> BusinessCalendar:
    check_name(name)
    if name in builtin.BUILTIN:
        raise Conflict(detail=f"{name!r} is built in; change its days with set-day")
    builtin.assemble(name, time_zone, week, base)  # validates the zone, the week and the base
    async with hub.uow() as uow:
        row = BusinessCalendar(name=name, time_zone=time_zone, weekly_periods=week_to_json(week), base=base)
        uow.session.add(row)
        await flush_unique(uow.session, f"a calendar named {name!r}")
        uow.emit(
            SettingsChanged.of(
                actor,
                "calendar.created",
                row.id,
                at=hub.clock.now(),
                after={
                    "name": name,
                    "time_zone": time_zone,
                    "weekly_periods": row.weekly_periods,
                    "base": base,
                },
            )
        )
        await uow.commit()
    return row


def _day_json(name: str, row: CalendarDay | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "calendar": name,
        "day": row.day.isoformat(),
        "kind": row.kind.value,
        "periods": row.periods,
        "note": row.note,
    }


async def _day_row(session: AsyncSession, calendar: BusinessCalendar, day: date) -> CalendarDay | None:
    return await session.scalar(
        sa.select(CalendarDay).where(CalendarDay.calendar_id == calendar.id, CalendarDay.day == day)
    )


async def set_day(
    hub: Hub,
    actor: Actor,
    name: str,
    day: date,
    kind: DayKind,
    *,
    periods: tuple[Period, ...] = (),
    note: str | None = None,
) -> SpecialDay:
    """Make ``day`` a holiday or a workday of calendar ``name``, replacing any earlier override."""
    check_name(name)
    if kind is DayKind.HOLIDAY and periods:
        raise InvalidInput(detail="a holiday has no working periods")
    async with hub.uow() as uow:
        calendar = await _require_row(uow.session, name)
        row = await _day_row(uow.session, calendar, day)
        before = _day_json(name, row)
        if row is None:
            row = CalendarDay(calendar_id=calendar.id, day=day)
            uow.session.add(row)
        row.kind = kind
        row.periods = [str(p) for p in periods] or None
        row.note = (note or "").strip() or None
        await uow.session.flush()
        uow.emit(
            SettingsChanged.of(
                actor,
                "calendar.day_set",
                calendar.id,
                at=hub.clock.now(),
                before=before,
                after=_day_json(name, row),
            )
        )
        await uow.commit()
        return _special_day(row)


async def remove_day(hub: Hub, actor: Actor, name: str, day: date) -> None:
    """Drop an override; the day follows the base (statutory days) and the week again."""
    check_name(name)
    async with hub.uow() as uow:
        calendar = await _row(uow.session, name)
        row = None if calendar is None else await _day_row(uow.session, calendar, day)
        if calendar is None or row is None:
            if calendar is None and builtin.builtin(name) is None:
                raise CalendarNotFound(name=name, known=", ".join(await _known_names(uow.session)))
            raise InvalidInput(detail=f"calendar {name!r} has no override on {day.isoformat()}")
        before = _day_json(name, row)
        await uow.session.delete(row)
        uow.emit(
            SettingsChanged.of(actor, "calendar.day_removed", calendar.id, at=hub.clock.now(), before=before)
        )
        await uow.commit()
