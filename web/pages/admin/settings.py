"""Settings pages: SLA policies, business calendars (a year at a glance, with China's holidays and
make-up workdays and the administrator's overrides), personal API tokens and which notifications
are e-mailed, and the satisfaction survey's settings and texts."""

from __future__ import annotations

import calendar as month_grid
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from hub import notification_settings
from hub.accounts import accounts
from hub.calendars import service as calendars
from hub.calendars.model import Calendar, DayKind
from hub.calendars.weekly import describe_week
from hub.core import Hub
from hub.csat import settings as csat_settings
from hub.domain import ChannelKind, Priority, Tier
from hub.i18n import SUPPORTED_LOCALES
from hub.sla import policies
from web.auth.guards import admins, supervisors
from web.auth.identity import CurrentUser
from web.pages.admin.common import admin_render


@get("/admin/sla", guards=[admins], name="admin-sla")
async def sla_page(request: Request, db: NamedDependency[AsyncSession]) -> Template:
    return admin_render(
        request,
        "admin_sla.html",
        "sla",
        policies=await policies.list_policies(db),
        channel_kinds=list(ChannelKind),
        priorities=list(Priority),
        tiers=list(Tier),
    )


@get("/admin/calendars", guards=[supervisors], name="admin-calendars")
async def calendars_page(request: Request, hub: NamedDependency[Hub]) -> Template:
    return admin_render(
        request, "admin_calendars.html", "calendars", calendars=await calendars.list_calendars(hub)
    )


@dataclass(frozen=True)
class DayCell:
    day: date
    #: ``work``, ``off`` (the week's rest days), ``holiday`` or ``makeup`` (a weekend worked).
    state: str
    #: An administrator's override rather than the statutory schedule.
    override: bool
    note: str
    hours: str


def year_view(calendar: Calendar, year: int) -> list[list[list[DayCell | None]]]:
    """Twelve months of weeks (Monday first), each day with its state: the year at a glance."""
    specials = {d.day: d for d in calendar.days_in_year(year)}
    months = []
    for month in range(1, 13):
        weeks = []
        for week in month_grid.Calendar(firstweekday=0).monthdatescalendar(year, month):
            row: list[DayCell | None] = []
            for day in week:
                if day.month != month:
                    row.append(None)
                    continue
                special = specials.get(day)
                periods = calendar.periods_on(day)
                if special is not None and special.kind is DayKind.HOLIDAY:
                    state = "holiday"
                elif special is not None:
                    state = "makeup" if not calendar.week[day.weekday()] else "work"
                else:
                    state = "work" if periods else "off"
                row.append(
                    DayCell(
                        day=day,
                        state=state,
                        override=special is not None and special.source == "admin",
                        note=special.note if special else "",
                        hours=" ".join(str(p) for p in periods),
                    )
                )
            weeks.append(row)
        months.append(weeks)
    return months


@get("/admin/calendars/{name:str}", guards=[supervisors], name="admin-calendar")
async def calendar_page(
    request: Request,
    hub: NamedDependency[Hub],
    name: FromPath[str],
    year: Annotated[int | None, QueryParameter(ge=1900, le=2999)] = None,
) -> Template:
    found = await calendars.load_calendar(hub, name)
    shown = year or hub.clock.now().astimezone(found.zone).year
    days = found.days_in_year(shown)
    return admin_render(
        request,
        "admin_calendar.html",
        "calendars",
        calendar=found,
        week=describe_week(found.week),
        year=shown,
        known=found.knows_year(shown),
        months=year_view(found, shown),
        holidays=[d for d in days if d.kind is DayKind.HOLIDAY],
        workdays=[d for d in days if d.kind is DayKind.WORKDAY],
        overrides=[d for d in days if d.source == "admin"],
    )


@get("/admin/tokens", guards=[supervisors], name="admin-tokens")
async def tokens_page(request: Request, hub: NamedDependency[Hub]) -> Template:
    user: CurrentUser = request.user
    return admin_render(
        request, "admin_tokens.html", "tokens", tokens=await accounts.list_api_tokens(hub, user.actor)
    )


@get("/admin/notifications", guards=[admins], name="admin-notifications")
async def notifications_page(request: Request, db: NamedDependency[AsyncSession]) -> Template:
    return admin_render(
        request,
        "admin_notifications.html",
        "notifications",
        settings=await notification_settings.read(db),
    )


@get("/admin/surveys", guards=[admins], name="admin-surveys")
async def surveys_page(request: Request, db: NamedDependency[AsyncSession]) -> Template:
    """Each text beside the catalogue's default (the placeholder): an emptied field puts it back."""
    return admin_render(
        request,
        "admin_surveys.html",
        "surveys",
        survey=await csat_settings.load(db),
        text_names=csat_settings.TEXT_NAMES,
        defaults={locale: csat_settings.defaults(locale) for locale in SUPPORTED_LOCALES},
        locales=SUPPORTED_LOCALES,
    )
