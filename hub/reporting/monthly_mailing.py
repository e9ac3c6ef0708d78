"""When the monthly review goes to the supervisors, and that it goes once.

The review of the month just ended is mailed on the first working day of the new month on China's
working calendar (``cn``: a Spring Festival or National Day first week pushes it to the first
workday after, a make-up Sunday counts), from the start of that day's working time; a worker that
was down then sends it at its next tick that month. A row per month records it: the worker that
inserts the row has claimed the month, stamps it once the mails are out, and a second worker, or
the same one restarted, finds the row and sends nothing. A claim whose sender died before stamping
it is taken over after :data:`STALE_CLAIM`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from hub.calendars import arithmetic
from hub.calendars.service import calendar_in
from hub.domain import Role
from hub.models import MonthlyReviewMailing, User
from hub.reporting.monthly import previous_month

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from hub.calendars.model import Calendar
    from hub.core import Hub

#: The calendar whose first working day the mail waits for.
CALENDAR = "cn"
#: A claim not stamped as sent after this long is a sender that died: another may take it over.
STALE_CLAIM = timedelta(minutes=30)


def first_working_day(calendar: Calendar, month: date) -> date:
    day = month
    while not calendar.periods_on(day):
        day += timedelta(days=1)
    return day


def due_month(calendar: Calendar, now: datetime) -> date | None:
    """The month whose review is due at ``now`` (the one before today's), else None: before the
    first working moment of the month's first working day."""
    today = now.astimezone(calendar.zone).date()
    first = first_working_day(calendar, today.replace(day=1))
    if today < first:
        return None
    start_of_work = arithmetic.next_working_moment(
        calendar, datetime.combine(first, datetime.min.time(), calendar.zone)
    )
    if now < start_of_work:
        return None
    return previous_month(today.replace(day=1))


@dataclass(frozen=True)
class Recipient:
    email: str
    locale: str
    time_zone: str


async def supervisors(session: AsyncSession) -> list[Recipient]:
    rows = await session.execute(
        sa.select(User.email, User.locale, User.time_zone)
        .where(User.role == Role.SUPERVISOR, User.is_active)
        .order_by(User.email)
    )
    return [Recipient(email, locale or "zh-CN", zone or "Asia/Shanghai") for email, locale, zone in rows]


async def claim(hub: Hub) -> date | None:
    """The month this process is to mail now, claimed; None when none is due or another has it."""
    now = hub.clock.now()
    async with hub.uow() as uow:
        month = due_month(await calendar_in(uow.session, CALENDAR), now)
        if month is None:
            return None
        m = MonthlyReviewMailing
        claimed = await uow.session.scalar(
            insert(m)
            .values(month=month, claimed_at=now)
            .on_conflict_do_update(
                index_elements=[m.month],
                set_={"claimed_at": now},
                where=sa.and_(m.sent_at.is_(None), m.claimed_at < now - STALE_CLAIM),
            )
            .returning(m.month)
        )
        await uow.commit()
        return claimed


async def sent(hub: Hub, month: date, recipients: int) -> None:
    async with hub.uow() as uow:
        await uow.session.execute(
            sa.update(MonthlyReviewMailing)
            .where(MonthlyReviewMailing.month == month)
            .values(sent_at=hub.clock.now(), recipients=recipients)
        )
        await uow.commit()


async def release(hub: Hub, month: date) -> None:
    """A sending that failed gives the month back, for the next tick to try again."""
    async with hub.uow() as uow:
        await uow.session.execute(
            sa.delete(MonthlyReviewMailing).where(
                MonthlyReviewMailing.month == month, MonthlyReviewMailing.sent_at.is_(None)
            )
        )
        await uow.commit()
