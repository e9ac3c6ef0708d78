"""``hub report``: response-time reports, drill-down, exports and the audited rebuild; ``hub import
history``: conversations from a previous helpdesk, replayed at their own times."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from web.cli import common

DIMENSIONS = ("agent", "team", "channel", "client", "priority", "playbook")
CHANNELS = ("email", "wechat", "webchat", "phone", "api")


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, default=str))


def _filters(start: datetime, end: datetime, channel: str | None, by: str | None, calendar_time: bool) -> Any:
    """click reads the days as datetimes at midnight; the reports want the days."""
    from hub.reporting.reports import Filters

    return Filters(start.date(), end.date(), channel, by, calendar_time)


_period = [
    click.option(
        "--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day (YYYY-MM-DD)."
    ),
    click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day, included."),
    click.option("--channel", type=click.Choice(CHANNELS), help="Only waits started on this channel."),
    click.option("--calendar-time", is_flag=True, help="Calendar seconds instead of business seconds."),
]


def period_options(function: Any) -> Any:
    for option in reversed(_period):
        function = option(function)
    return function


@click.group("report")
def report_group() -> None:
    """Response times, resolution, SLA compliance, CSAT and volumes from the ticket event log."""


@report_group.command("ticket")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def report_ticket(ref: str, as_json: bool) -> None:
    """One ticket's measurements: REF is an imported conversation's ref or a ticket number."""
    from hub.actors import CLI
    from hub.reporting import reports

    async def work(runtime: Any) -> dict[str, Any]:
        async with runtime.hub.uow() as uow:
            return await reports.ticket_report(uow.session, CLI, ref)

    found = common.run(work)
    if as_json:
        _echo_json(found)
        return
    click.echo(f"#{found['number']} on calendar {found['calendar']}")
    for name in (
        "first_response",
        "human_pickup",
        "resolution_first",
        "resolution_full",
        "resolution_active",
    ):
        value = found[name]
        shown = (
            "-" if value is None else f"{value['business_seconds']} s business, {value['calendar_seconds']} s"
        )
        click.echo(f"  {name:<18} {shown}")
    click.echo(f"  reply times        {len(found['reply_times'])}; reopens {found['reopen_count']}")


@report_group.command("summary")
@period_options
@click.option("--by", type=click.Choice(DIMENSIONS), help="One group per agent, team, channel, client...")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def report_summary(
    start: Any, end: Any, channel: str | None, calendar_time: bool, by: str | None, as_json: bool
) -> None:
    """N, mean, median, p90, max and % within target per metric, SLA compliance, CSAT and volumes."""
    from hub.actors import CLI
    from hub.reporting import reports

    filters = _filters(start, end, channel, by, calendar_time)

    async def work(runtime: Any) -> dict[str, Any]:
        async with runtime.hub.uow() as uow:
            return await reports.summary(uow.session, CLI, filters)

    found = common.run(work)
    if as_json:
        _echo_json(found)
        return
    from hub.reporting.exports import summary_rows

    for row in summary_rows(found):
        click.echo("\t".join("" if v is None else str(v) for v in row))


@report_group.command("trend")
@period_options
@click.option("--every", type=click.Choice(("day", "week", "month")), default="day", show_default=True)
def report_trend(start: Any, end: Any, channel: str | None, calendar_time: bool, every: str) -> None:
    """Per day, week or month (from the daily rollups), as JSON."""
    from hub.actors import CLI
    from hub.reporting import reports

    filters = _filters(start, end, channel, None, calendar_time)

    async def work(runtime: Any) -> dict[str, Any]:
        async with runtime.hub.uow() as uow:
            return await reports.trend(uow.session, CLI, filters, every)

    _echo_json(common.run(work))


@report_group.command("samples")
@period_options
@click.option(
    "--metric", help="first_response, reply_time, resolution_full, sla:first_response, csat_response..."
)
@click.option("--by", type=click.Choice(DIMENSIONS), help="With --group: the dimension the group is of.")
@click.option("--group", help="One group's key from the summary (empty for the samples without one).")
@click.option("--limit", type=click.IntRange(1), default=1000, show_default=True)
def report_samples(
    start: Any,
    end: Any,
    channel: str | None,
    calendar_time: bool,
    metric: str | None,
    by: str | None,
    group: str | None,
    limit: int,
) -> None:
    """The samples behind a number, each with its two bounding messages or events, both instants
    and the calendar it was measured on, as JSON lines."""
    from hub.actors import CLI
    from hub.reporting import reports

    filters = _filters(start, end, channel, by, calendar_time)

    async def work(runtime: Any) -> list[dict[str, Any]]:
        async with runtime.hub.uow() as uow:
            return await reports.sample_rows(
                uow.session, CLI, filters, metric=metric, group=group, limit=limit
            )

    for row in common.run(work):
        _echo_json(row)


@report_group.command("export")
@period_options
@click.option("--by", type=click.Choice(DIMENSIONS))
@click.option("--samples", "of_samples", is_flag=True, help="Every sample (no cap) rather than the summary.")
@click.option("--metric", help="With --samples: one metric only.")
@click.option("--format", "fmt", type=click.Choice(("csv", "xlsx")), default="csv", show_default=True)
@click.option(
    "--time-zone", "zone", default="Asia/Shanghai", show_default=True, help="Zone timestamps are shown in."
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True)
def report_export(
    start: Any,
    end: Any,
    channel: str | None,
    calendar_time: bool,
    by: str | None,
    of_samples: bool,
    metric: str | None,
    fmt: str,
    zone: str,
    output: Path,
) -> None:
    """Write the summary (or its samples) as CSV (UTF-8 with BOM) or XLSX with a header block."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from hub.actors import CLI
    from hub.reporting import exports

    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown time zone {zone!r}", param_hint="--time-zone") from None
    filters = _filters(start, end, channel, by, calendar_time)

    async def work(runtime: Any) -> bytes:
        now = runtime.hub.clock.now()
        async with runtime.hub.uow() as uow:
            if of_samples:
                return await exports.samples_file(uow.session, CLI, filters, fmt, tz, now, metric=metric)
            return await exports.summary_file(uow.session, CLI, filters, fmt, tz, now)

    data = common.run(work)
    output.write_bytes(data)
    click.echo(f"{output}: {len(data)} bytes")


@report_group.command("rebuild")
@click.option("--calendar", help="Only the tickets measured on this calendar (after editing it).")
@click.option("--reason", help="Why, for the audit trail.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def report_rebuild(calendar: str | None, reason: str | None, as_json: bool) -> None:
    """Derive every sample again from the event log on today's calendars, and every daily rollup.

    Audited: each sample whose values change leaves its old and new values in the audit trail.
    """
    from hub.actors import CLI
    from hub.reporting import projection

    async def work(runtime: Any) -> dict[str, int]:
        return await projection.rebuild(runtime.hub, CLI, calendar=calendar, reason=reason)

    counts = common.run(work)
    if as_json:
        _echo_json(counts)
    else:
        click.echo(", ".join(f"{k} {v}" for k, v in counts.items()))


@click.command("history")
@click.argument("file", type=click.File("rb"))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON line.")
def import_history(file: Any, as_json: bool) -> None:
    """Import conversations, one JSON object per line, replayed at their own times through the same
    funnel and clocks as live traffic. Idempotent on each line's ref; a bad line is reported with
    its number and reason and the rest are imported."""
    import msgspec

    from hub.intake import history

    async def work(runtime: Any) -> Any:
        return await history.import_history(runtime.hub, file)

    summary = common.run(work)
    if not as_json:
        for problem in summary.problems:
            click.echo(f"line {problem.line}: {problem.reason}", err=True)
        click.echo(
            f"{summary.lines} lines: {summary.imported} imported, {summary.duplicate} already there, "
            f"{summary.rejected} rejected"
        )
    else:
        click.echo(msgspec.json.encode(summary).decode())
    if summary.rejected:
        sys.exit(1)


@report_group.command("monthly")
@click.option("--month", help="YYYY-MM (default: the last full month).")
@click.option("--lang", "locale", type=click.Choice(("zh-CN", "en")), default="zh-CN", show_default=True)
@click.option("--format", "fmt", type=click.Choice(("html", "pdf")), default="html", show_default=True)
@click.option(
    "--time-zone", "zone", default="Asia/Shanghai", show_default=True, help="Zone times are shown in."
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: HTML to standard output, PDF to monthly-review-YYYY-MM.pdf).",
)
def report_monthly(month: str | None, locale: str, fmt: str, zone: str, output: Path | None) -> None:
    """The monthly review (沟通复盘): compliance per promise, the worst breaches, CSAT and its
    comments, escalations against the plan's 95 %, requirement fulfilment, partner scorecards and
    the change from the month before, as HTML or an A4 PDF with its Chinese font embedded."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from hub.actors import CLI
    from hub.errors import InvalidInput
    from hub.reporting import monthly

    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown time zone {zone!r}", param_hint="--time-zone") from None
    try:
        first = monthly.parse_month(month) if month else None
    except InvalidInput:
        raise click.BadParameter("YYYY-MM, e.g. 2026-11", param_hint="--month") from None

    async def work(runtime: Any) -> Any:
        now = runtime.hub.clock.now()
        async with runtime.hub.uow() as uow:
            chosen = first or monthly.last_full_month(now.astimezone(tz).date())
            return await monthly.build(uow.session, CLI, chosen, now=now), runtime.hub.settings.base_url

    review, base_url = common.run(work)
    from web import monthly_review

    if fmt == "pdf":
        data = monthly_review.render_pdf(review, locale, tz, base_url=base_url)
        target = output or Path(f"monthly-review-{review.label}.pdf")
        target.write_bytes(data)
        click.echo(f"{target}: {len(data)} bytes")
        return
    page = monthly_review.render_html(review, locale, tz, base_url=base_url)
    if output is None:
        click.echo(page)
        return
    output.write_text(page, encoding="utf-8")
    click.echo(f"{output}: {len(page.encode())} bytes")


@report_group.command("playbooks")
@click.option(
    "--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day (YYYY-MM-DD)."
)
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day, included.")
@click.option("--time-zone", "zone", default="Asia/Shanghai", show_default=True, help="Zone the days are in.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def report_playbooks(start: Any, end: Any, zone: str, as_json: bool) -> None:
    """Playbook adherence: of the required steps that fell due in the runs started in the period,
    how many were done on time, late, skipped or are overdue, per playbook and per agent."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    import sqlalchemy as sa

    from hub.actors import CLI
    from hub.models import User
    from hub.playbooks import adherence

    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown time zone {zone!r}", param_hint="--time-zone") from None
    since, until = start.replace(tzinfo=tz), (end + timedelta(days=1)).replace(tzinfo=tz)

    async def work(runtime: Any) -> dict[str, Any]:
        async with runtime.hub.uow() as uow:
            found = await adherence.adherence(
                runtime.hub, uow.session, CLI, since, until, runtime.hub.clock.now()
            )
            people = {
                u.id: u.email
                for u in await uow.session.scalars(
                    sa.select(User).where(User.id.in_([key for key in found.by_agent if key is not None]))
                )
            }
        return {
            "total": found.total.as_dict(),
            "by_playbook": {key: tally.as_dict() for key, tally in sorted(found.by_playbook.items())},
            "by_agent": [
                {"user_id": key, "email": people.get(key) if key else None, **tally.as_dict()}
                for key, tally in found.by_agent.items()
            ],
        }

    found = common.run(work)
    if as_json:
        _echo_json(found)
        return
    click.echo("\t".join(("scope", "who", "on_time", "late", "skipped", "overdue", "adherence")))
    rows = [("total", "", found["total"])]
    rows += [("playbook", key, tally) for key, tally in found["by_playbook"].items()]
    rows += [("agent", entry["email"] or "-", entry) for entry in found["by_agent"]]
    for scope, who, tally in rows:
        rate = "-" if tally["rate"] is None else f"{tally['rate']:.0%}"
        counts = (str(tally[name]) for name in ("on_time", "late", "skipped", "overdue"))
        click.echo("\t".join((scope, who, *counts, rate)))
