"""The supervisors' dashboards: the company's promises at a glance, a team's, an agent's, a key
client's, the slow links, and the samples behind every number.

Every view is a plain GET address (period, business or calendar time, team, agent, channel,
client, priority, playbook), so a view can be bookmarked or sent; each number links to the
samples page with the same filters, and each sample to its ticket and the two messages that bound
it. Exports (CSV with a BOM, XLSX) write the page's own figures. Who sees what:
:mod:`hub.reporting.dashboard` (an agent only their own numbers).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts import directory
from hub.domain import ChannelKind, Priority, Role
from hub.errors import InvalidInput
from hub.models import MetricDaily
from hub.reporting import dashboard, exports, reports, slow_links
from hub.reporting.reports import Filters
from hub.reporting.samples import COUNT_METRICS, DURATION_METRICS
from web.auth.guards import staff, supervisors
from web.auth.identity import CurrentUser
from web.pages import charts
from web.pages.context import page_locale, render, zone_of
from web.pages.text import Translator

DEFAULT_DAYS = 30
PRESETS = (7, 30, 90)
#: A longer period is refused: a year's samples are what the summary is measured on (bench/).
MAX_DAYS = 366
SAMPLES_PAGE = 100
CHANNELS = tuple(k.value for k in ChannelKind)
PRIORITIES = tuple(p.value for p in Priority)
#: Where a promise kept outside tickets is followed up (its "samples").
OTHER_PAGES = {
    "proposals": "/date-proposals",
    "quality_steps": "/portal/quality",
    "decisions_read": "/decisions",
    "decisions_feedback": "/decisions",
}


@dataclass(frozen=True)
class View:
    """The filters of a dashboard address, and the links that keep them."""

    start: date
    end: date
    calendar_time: bool = False
    team: uuid.UUID | None = None
    agent: uuid.UUID | None = None
    channel: str | None = None
    client: uuid.UUID | None = None
    priority: str | None = None
    playbook: str | None = None
    #: Filters fixed by the page's path (a team's page): not repeated in its own links' query.
    fixed: frozenset[str] = field(default_factory=frozenset)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def back(self, days: int) -> date:
        """The first day of a period of ``days`` days ending on this view's last day."""
        return self.end - timedelta(days=days - 1)

    def filters(self) -> Filters:
        return Filters(
            self.start,
            self.end,
            self.channel,
            None,
            self.calendar_time,
            agent_id=self.agent,
            team_id=self.team,
            organization_id=self.client,
            priority=self.priority,
            playbook=self.playbook,
        )

    def params(self, *, keep_fixed: bool = True, **changes: Any) -> dict[str, str]:
        values: dict[str, Any] = {
            "from": self.start,
            "to": self.end,
            "time": "calendar" if self.calendar_time else None,
            "team": self.team,
            "agent": self.agent,
            "channel": self.channel,
            "client": self.client,
            "priority": self.priority,
            "playbook": self.playbook,
        }
        if not keep_fixed:
            for name in self.fixed:
                values.pop(name, None)
        for name, value in changes.items():
            values[{"start": "from", "end": "to"}.get(name, name)] = value
        return {k: str(v) for k, v in values.items() if v not in (None, "")}

    def url(self, path: str, **changes: Any) -> str:
        """``path`` with this view's filters (and ``changes``): the samples page, an export."""
        return f"{path}?{urlencode(self.params(**changes))}"

    def here(self, path: str, **changes: Any) -> str:
        """This page again with ``changes`` (its own fixed filter stays in the path)."""
        return f"{path}?{urlencode(self.params(keep_fixed=False, **changes))}"


def _uuid(value: str | None, name: str) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput(detail=f"{name} must be an id") from None


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(detail=f"{name}: {value[:20]!r} is not a day (YYYY-MM-DD)") from None


def _choice(value: str | None, allowed: tuple[str, ...], name: str) -> str | None:
    if not value:
        return None
    if value not in allowed:
        raise InvalidInput(detail=f"{name} must be one of {', '.join(allowed)}")
    return value


def parse_view(request: Request, **fixed: uuid.UUID) -> View:
    """The view an address asks for: the last 30 days to today (the viewer's) unless it says."""
    q = request.query_params
    today = request.app.state.hub.clock.now().astimezone(zone_of(request.user)).date()
    end = _day(q.get("to"), "to") or today
    preset = q.get("days")
    if preset:
        if not preset.isdigit() or not 1 <= int(preset) <= MAX_DAYS:
            raise InvalidInput(detail=f"days must be 1 to {MAX_DAYS}")
        start = end - timedelta(days=int(preset) - 1)
    else:
        start = _day(q.get("from"), "from") or end - timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise InvalidInput(detail="to is before from")
    if (end - start).days >= MAX_DAYS:
        raise InvalidInput(detail=f"a period is at most {MAX_DAYS} days")
    playbook = q.get("playbook") or None
    if playbook is not None and len(playbook) > 120:
        raise InvalidInput(detail="playbook: at most 120 characters")
    view = View(
        start=start,
        end=end,
        calendar_time=_choice(q.get("time"), ("business", "calendar"), "time") == "calendar",
        team=_uuid(q.get("team"), "team"),
        agent=_uuid(q.get("agent"), "agent"),
        channel=_choice(q.get("channel"), CHANNELS, "channel"),
        client=_uuid(q.get("client"), "client"),
        priority=_choice(q.get("priority"), PRIORITIES, "priority"),
        playbook=playbook,
    )
    return replace(
        view,
        fixed=frozenset(fixed),
        team=fixed.get("team", view.team),
        agent=fixed.get("agent", view.agent),
        client=fixed.get("client", view.client),
    )


def duration_text(t: Translator, seconds: float | None) -> str:
    """Seconds as a person reads them: 45 s, 3 min 20 s, 2.5 h, 1.5 d (24-hour days)."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return t("dash.unit.s", n=round(seconds))
    if seconds < 3600:
        minutes, rest = divmod(round(seconds), 60)
        return t("dash.unit.min", m=minutes, s=rest)
    if seconds < 86400:
        return t("dash.unit.h", n=round(seconds / 3600, 1))
    return t("dash.unit.d", n=round(seconds / 86400, 1))


async def _choices(db: AsyncSession, user: CurrentUser, view: View) -> dict[str, Any]:
    """What the filter form offers: teams, staff, clients and the playbooks measured lately."""
    playbooks = await db.scalars(
        sa.select(MetricDaily.playbook_id)
        .where(MetricDaily.playbook_id.is_not(None), MetricDaily.day >= view.start - timedelta(days=MAX_DAYS))
        .distinct()
        .order_by(MetricDaily.playbook_id)
        .limit(200)
    )
    people = [
        p
        for p in await directory.list_users(db, user.actor)
        if p.role.value in ("agent", "supervisor", "admin")
    ]
    return {
        "teams": await directory.list_teams(db, user.actor),
        "people": people,
        "organizations": await directory.list_organizations(db, user.actor),
        "playbooks": list(playbooks),
        "channels": CHANNELS,
        "priorities": PRIORITIES,
        "presets": PRESETS,
    }


def _promise_link(view: View, key: str, outcome: str | None = None) -> str:
    if key in OTHER_PAGES:
        return OTHER_PAGES[key]
    return view.url("/dashboard/samples", promise=key, outcome=outcome)


async def _page(
    request: Request,
    db: AsyncSession,
    view: View,
    *,
    path: str,
    heading: str,
    breakdown: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Template:
    user: CurrentUser = request.user
    hub = request.app.state.hub
    now = hub.clock.now()
    zone = zone_of(user)
    t = Translator(page_locale(request))
    filters = view.filters()
    rows, report = await dashboard.promises(db, user.actor, filters, zone, now)
    shown = [r for r in rows if not (r.promise.key == "resolution" and r.empty)]
    live = await dashboard.backlog(db, user.actor, filters)
    soon, late, soon_count, late_count = await dashboard.sla_lists(db, user.actor, filters, now)
    daily = await dashboard.daily_compliance(db, user.actor, filters)
    bars = charts.percent_bars(
        t("dash.chart.promises"),
        [
            charts.Bar(
                t(f"dash.promise.{r.promise.key}"),
                r.now.percent,
                r.before.percent,
                _promise_link(view, r.promise.key),
            )
            for r in shown
            if r.now.percent is not None or r.before.percent is not None
        ],
        now_label=t("dash.this_period"),
        before_label=t("dash.previous_period"),
        empty=t("dash.none_measured"),
    )
    line = charts.percent_line(
        t("dash.chart.daily"),
        [
            charts.Point(
                p.day.strftime("%m-%d"),
                p.percent,
                p.responses,
                view.url("/dashboard/samples", promise="responses", start=p.day, end=p.day),
            )
            for p in daily
        ],
        axis_label=t("dash.chart.daily_axis"),
        empty=t("dash.none_measured"),
    )
    groups: list[dict[str, Any]] = []
    if breakdown:
        by = await reports.summary(db, user.actor, replace(filters, by=breakdown))
        for group in by["groups"]:
            responses = dashboard.Count()
            for target in dashboard.RESPONSES.targets:
                entry = group["compliance"][target]
                responses += dashboard.Count(entry["met"], entry["breached"], entry["active"])
            groups.append({**group, "responses": responses})
        if breakdown == "team" and page_locale(request) == "zh-CN":
            chinese = {
                str(tm.id): tm.name_zh for tm in await directory.list_teams(db, user.actor) if tm.name_zh
            }
            groups = [{**g, "label": chinese.get(g["key"] or "", g["label"])} for g in groups]
    previous = dashboard.previous(filters)
    return render(
        request,
        "dashboard.html",
        view=view,
        path=path,
        heading=heading,
        rows=shown,
        report=report,
        total=report["total"],
        durations=dashboard.SHOWN_DURATIONS,
        backlog=live,
        soon=soon,
        late=late,
        soon_count=soon_count,
        late_count=late_count,
        bars=bars,
        line=line,
        breakdown=breakdown,
        groups=groups,
        previous=previous,
        dur=lambda seconds: duration_text(t, seconds),
        promise_link=lambda key, outcome=None: _promise_link(view, key, outcome),
        inbox_link=_inbox_link(view),
        clients=await dashboard.key_clients(db, user.actor) if breakdown == "team" else [],
        visible_teams={tm.id for tm in await dashboard.visible_teams(db, user.actor)},
        is_agent=user.role is Role.AGENT,
        **(extra or {}),
        **await _choices(db, user, view),
    )


def _inbox_link(view: View) -> Any:
    """The inbox with the view's live filters (the backlog's numbers lead there)."""

    def link(status: str | None = None) -> str:
        values = {
            "view": "open",
            "status": status,
            "team": view.team,
            "assignee": view.agent,
            "channel": view.channel,
            "organization": view.client,
            "priority": view.priority,
        }
        return "/?" + urlencode({k: str(v) for k, v in values.items() if v})

    return link


@get("/dashboard", guards=[staff], name="dashboard")
async def dashboard_page(request: Request, db: NamedDependency[AsyncSession]) -> Template | Redirect:
    """Supervisors and administrators; an agent is sent to their own numbers."""
    user: CurrentUser = request.user
    if user.role is Role.AGENT:
        query = request.url.query
        return Redirect(f"/dashboard/agents/{user.id}" + (f"?{query}" if query else ""), status_code=303)
    t = Translator(page_locale(request))
    return await _page(
        request, db, parse_view(request), path="/dashboard", heading=t("dash.title"), breakdown="team"
    )


@get("/dashboard/teams/{team_id:uuid}", guards=[supervisors], name="dashboard-team")
async def team_page(
    request: Request, db: NamedDependency[AsyncSession], team_id: FromPath[uuid.UUID]
) -> Template:
    user: CurrentUser = request.user
    team = await dashboard.may_view_team(db, user.actor, team_id)
    t = Translator(page_locale(request))
    name = (team.name_zh or team.name) if page_locale(request) == "zh-CN" else team.name
    view = parse_view(request, team=team.id)
    return await _page(
        request,
        db,
        view,
        path=f"/dashboard/teams/{team.id}",
        heading=t("dash.team_title", name=name),
        breakdown="agent",
    )


@get("/dashboard/agents/{user_id:uuid}", guards=[staff], name="dashboard-agent")
async def agent_page(
    request: Request, db: NamedDependency[AsyncSession], user_id: FromPath[uuid.UUID]
) -> Template:
    user: CurrentUser = request.user
    person = await dashboard.may_view_agent(db, user.actor, user_id)
    t = Translator(page_locale(request))
    view = parse_view(request, agent=person.id)
    return await _page(
        request,
        db,
        view,
        path=f"/dashboard/agents/{person.id}",
        heading=t("dash.agent_title", name=person.name),
    )


@get("/dashboard/clients/{organization_id:uuid}", guards=[staff], name="dashboard-client")
async def client_page(
    request: Request, db: NamedDependency[AsyncSession], organization_id: FromPath[uuid.UUID]
) -> Template:
    user: CurrentUser = request.user
    org = await dashboard.may_view_client(db, user.actor, organization_id)
    t = Translator(page_locale(request))
    view = parse_view(request, client=org.id)
    people = {p.id: p.name for p in await directory.list_users(db, user.actor)}
    return await _page(
        request,
        db,
        view,
        path=f"/dashboard/clients/{org.id}",
        heading=t("dash.client_title", name=org.name),
        extra={
            "organization": org,
            "manager": people.get(org.account_manager_id) if org.account_manager_id else None,
            "backup": people.get(org.backup_manager_id) if org.backup_manager_id else None,
        },
    )


@get("/dashboard/slow-links", guards=[supervisors], name="dashboard-slow-links")
async def slow_links_page(request: Request, db: NamedDependency[AsyncSession]) -> Template:
    user: CurrentUser = request.user
    t = Translator(page_locale(request))
    view = parse_view(request)
    found = await slow_links.slow_links(db, user.actor, view.filters(), request.app.state.hub.clock.now())
    locale = page_locale(request)

    def team_name(key: str | None) -> str:
        if key is None:
            return t("dash.no_team")
        name, zh = found.teams.get(key, (key, None))
        return (zh or name) if locale == "zh-CN" else name

    def label(by: str, row: slow_links.Row) -> str:
        stage = t(f"dash.stage.{row.stage}")
        if by == "stage":
            return stage
        group = team_name(row.key) if by == "team" else t(f"channel.{row.key}") if row.key else "—"
        return f"{group} · {stage}"

    def drill(row: slow_links.Row, by: str) -> str:
        changes: dict[str, Any] = dict(slow_links.DRILL[row.stage])
        if by == "channel" and row.key:
            changes["channel"] = row.key
        if by == "team" and row.key:
            changes["team"] = row.key
        return view.url("/dashboard/samples", **changes)

    def hours(seconds: float) -> str:
        return t("dash.unit.hours", n=round(seconds / 3600, 1))

    def chart(by: str, rows: list[slow_links.Row], title: str) -> Any:
        return charts.hour_bars(
            title,
            [
                charts.Bar(label(by, r), r.seconds / 3600, href=drill(r, by), text=hours(r.seconds))
                for r in rows[:12]
            ],
            unit=t("dash.unit.hours_axis"),
        )

    return render(
        request,
        "dashboard_slow.html",
        view=view,
        path="/dashboard/slow-links",
        found=found,
        label=label,
        drill=drill,
        hours=hours,
        dur=lambda seconds: duration_text(t, seconds),
        team_name=team_name,
        stage_chart=chart("stage", found.stages, t("dash.slow.by_stage")),
        channel_chart=chart("channel", found.by_channel, t("dash.slow.by_channel")),
        team_chart=chart("team", found.by_team, t("dash.slow.by_team")),
        **await _choices(db, user, view),
    )


def _drill_params(request: Request) -> tuple[str | None, str | None, str | None]:
    q = request.query_params
    metric = q.get("metric") or None
    if metric is not None and metric not in (*DURATION_METRICS, *COUNT_METRICS):
        raise InvalidInput(detail="metric: not a metric")
    promise = q.get("promise") or None
    if promise is not None and promise not in dashboard.PROMISE_KEYS:
        raise InvalidInput(detail="promise: not a promise")
    outcome = _choice(q.get("outcome"), dashboard.OUTCOMES, "outcome")
    return metric, promise, outcome


@get("/dashboard/samples", guards=[staff], name="dashboard-samples")
async def samples_page(request: Request, db: NamedDependency[AsyncSession]) -> Template:
    """The samples behind one number, each with its ticket and the two messages that bound it."""
    user: CurrentUser = request.user
    view = parse_view(request)
    metric, promise, outcome = _drill_params(request)
    page = request.query_params.get("page") or "1"
    if not page.isdigit() or not 1 <= int(page) <= 100_000:
        raise InvalidInput(detail="page must be a number from 1")
    number = int(page)
    rows, total = await dashboard.drill(
        db,
        user.actor,
        view.filters(),
        metric=metric,
        promise=promise,
        outcome=outcome,
        limit=SAMPLES_PAGE,
        offset=(number - 1) * SAMPLES_PAGE,
    )
    t = Translator(page_locale(request))
    return render(
        request,
        "dashboard_samples.html",
        view=view,
        rows=rows,
        total=total,
        metric=metric,
        promise=promise,
        outcome=outcome,
        page=number,
        pages=max(1, -(-total // SAMPLES_PAGE)),
        dur=lambda seconds: duration_text(t, seconds),
        drill={"metric": metric, "promise": promise, "outcome": outcome},
    )


async def _export(request: Request, db: AsyncSession, fmt: str) -> Response[bytes]:
    user: CurrentUser = request.user
    hub = request.app.state.hub
    now = hub.clock.now()
    zone = ZoneInfo(str(zone_of(user)))
    what = _choice(
        request.query_params.get("view") or "dashboard", ("dashboard", "slow-links", "samples"), "view"
    )
    view = parse_view(request)
    filters = view.filters()
    if what == "samples":
        metric, promise, outcome = _drill_params(request)
        rows = await dashboard.sample_stream(
            db, user.actor, filters, metric=metric, promise=promise, outcome=outcome
        )
        table = [list(dashboard.SAMPLE_COLUMNS), *([exports._cell(v, zone) for v in row] for row in rows)]
        title = f"samples {promise or metric or 'all'}" + (f" {outcome}" if outcome else "")
    elif what == "slow-links":
        found = await slow_links.slow_links(db, user.actor, filters, now)
        table, title = slow_links.table(found), "slow links"
    else:
        promise_rows, report = await dashboard.promises(db, user.actor, filters, zone, now)
        table = dashboard.table(promise_rows, report, await dashboard.backlog(db, user.actor, filters))
        title = "dashboard"
    data = exports.render(
        fmt, exports.header_block(title, reports.scoped(user.actor, filters), zone, now), table, title
    )
    return Response(
        data,
        media_type=exports.CONTENT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{what}.{fmt}"'},
    )


@get("/dashboard/export.csv", guards=[staff], name="dashboard-export-csv")
async def export_csv(request: Request, db: NamedDependency[AsyncSession]) -> Response[bytes]:
    """The page's figures (``view``: dashboard, slow-links or samples) as CSV, UTF-8 with a BOM."""
    return await _export(request, db, "csv")


@get("/dashboard/export.xlsx", guards=[staff], name="dashboard-export-xlsx")
async def export_xlsx(request: Request, db: NamedDependency[AsyncSession]) -> Response[bytes]:
    """The same as an Excel workbook."""
    return await _export(request, db, "xlsx")


PAGES = [
    dashboard_page,
    team_page,
    agent_page,
    client_page,
    slow_links_page,
    samples_page,
    export_csv,
    export_xlsx,
]
