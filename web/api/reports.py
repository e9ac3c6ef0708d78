"""``/api/v1/reports``: response-time reports, their samples and exports (``hub report`` over HTTP).

Supervisors and admins see every number; an agent gets the same routes narrowed to the samples
attributed to them (``hub.reporting.reports.scoped``); a partner none.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from hub.core import Hub
from hub.errors import InvalidInput
from hub.reporting import exports, reports
from web.auth.guards import BEARER, staff
from web.auth.identity import CurrentUser

By = Literal["agent", "team", "channel", "client", "priority", "playbook"]
Channel = Literal["email", "wechat", "webchat", "phone", "api"]
Every = Literal["day", "week", "month"]
Start = Annotated[
    date, QueryParameter(name="from", description="First day (YYYY-MM-DD), on the samples' calendar")
]
End = Annotated[date, QueryParameter(name="to", description="Last day, included")]
CalendarTime = Annotated[bool, QueryParameter(description="Calendar seconds instead of business seconds")]
#: Rows of a drill-down page; an export has no cap.
MAX_PAGE = 1000


def _filters(
    start: date, end: date, channel: str | None, by: str | None, calendar_time: bool
) -> reports.Filters:
    return reports.Filters(start, end, channel, by, calendar_time)


def _zone(request: Request, tz: str | None) -> ZoneInfo:
    user: CurrentUser = request.user
    name = tz or getattr(user, "time_zone", None) or "Asia/Shanghai"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(detail=f"unknown time zone {name!r}") from None


def _attachment(data: bytes, fmt: str, name: str) -> Response[bytes]:
    return Response(
        data,
        media_type=exports.CONTENT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


class ReportController(Controller):
    path = "/api/v1/reports"
    security = BEARER
    tags = ["reports"]
    guards = [staff]

    @get("/tickets/{ref:str}")
    async def ticket(
        self, request: Request, db: NamedDependency[AsyncSession], ref: FromPath[str]
    ) -> dict[str, Any]:
        """One ticket's measurements (an imported ref or a ticket number), both ways measured."""
        user: CurrentUser = request.user
        return await reports.ticket_report(db, user.actor, ref)

    @get("/summary")
    async def summary(
        self,
        request: Request,
        db: NamedDependency[AsyncSession],
        start: Start,
        end: End,
        channel: FromQuery[Channel | None] = None,
        by: FromQuery[By | None] = None,
        calendar_time: CalendarTime = False,
    ) -> dict[str, Any]:
        """Per group and in total: N, mean, median, p90, max and % within target per duration
        metric, SLA compliance per target type, CSAT and volumes."""
        user: CurrentUser = request.user
        return await reports.summary(db, user.actor, _filters(start, end, channel, by, calendar_time))

    @get("/trend")
    async def trend(
        self,
        request: Request,
        db: NamedDependency[AsyncSession],
        start: Start,
        end: End,
        every: FromQuery[Every] = "day",
        channel: FromQuery[Channel | None] = None,
        calendar_time: CalendarTime = False,
    ) -> dict[str, Any]:
        """Per day, week or month from the daily rollups."""
        user: CurrentUser = request.user
        return await reports.trend(db, user.actor, _filters(start, end, channel, None, calendar_time), every)

    @get("/samples")
    async def samples(
        self,
        request: Request,
        db: NamedDependency[AsyncSession],
        start: Start,
        end: End,
        metric: Annotated[str | None, QueryParameter(max_length=64)] = None,
        channel: FromQuery[Channel | None] = None,
        by: FromQuery[By | None] = None,
        group: Annotated[str | None, QueryParameter(max_length=200)] = None,
        calendar_time: CalendarTime = False,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
    ) -> list[dict[str, Any]]:
        """The samples behind a number: each with its ticket, the two messages or events that
        bound it, both instants and the calendar it was measured on."""
        user: CurrentUser = request.user
        filters = _filters(start, end, channel, by, calendar_time)
        return await reports.sample_rows(
            db, user.actor, filters, metric=metric, group=group, limit=limit, offset=offset
        )

    @get("/export.csv", media_type="text/csv; charset=utf-8")
    async def export_csv(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        db: NamedDependency[AsyncSession],
        start: Start,
        end: End,
        channel: FromQuery[Channel | None] = None,
        by: FromQuery[By | None] = None,
        calendar_time: CalendarTime = False,
        samples: Annotated[bool, QueryParameter(description="Every sample rather than the summary")] = False,
        metric: Annotated[str | None, QueryParameter(max_length=64)] = None,
        tz: Annotated[str | None, QueryParameter(max_length=64)] = None,
    ) -> Response[bytes]:
        """The summary (or its samples) as CSV, UTF-8 with a BOM, with a header block."""
        return await self._export(
            request, hub, db, "csv", start, end, channel, by, calendar_time, samples, metric, tz
        )

    @get("/export.xlsx", media_type=exports.CONTENT_TYPES["xlsx"])
    async def export_xlsx(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        db: NamedDependency[AsyncSession],
        start: Start,
        end: End,
        channel: FromQuery[Channel | None] = None,
        by: FromQuery[By | None] = None,
        calendar_time: CalendarTime = False,
        samples: Annotated[bool, QueryParameter(description="Every sample rather than the summary")] = False,
        metric: Annotated[str | None, QueryParameter(max_length=64)] = None,
        tz: Annotated[str | None, QueryParameter(max_length=64)] = None,
    ) -> Response[bytes]:
        """The summary (or its samples) as an Excel workbook with a header block."""
        return await self._export(
            request, hub, db, "xlsx", start, end, channel, by, calendar_time, samples, metric, tz
        )

    async def _export(
        self,
        request: Request,
        hub: Hub,
        db: AsyncSession,
        fmt: str,
        start: date,
        end: date,
        channel: str | None,
        by: str | None,
        calendar_time: bool,
        samples: bool,
        metric: str | None,
        tz: str | None,
    ) -> Response[bytes]:
        user: CurrentUser = request.user
        zone = _zone(request, tz)
        filters = _filters(start, end, channel, by, calendar_time)
        now = hub.clock.now()
        if samples:
            data = await exports.samples_file(db, user.actor, filters, fmt, zone, now, metric=metric)
        else:
            data = await exports.summary_file(db, user.actor, filters, fmt, zone, now)
        return _attachment(data, fmt, "samples" if samples else "summary")
