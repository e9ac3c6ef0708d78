"""Reports as files a supervisor opens in Excel: CSV (UTF-8 with a BOM) and XLSX.

Every file starts with a header block (the report, its filters, the time zone its timestamps are
shown in, the unit of its durations and when it was generated), then one blank row and the table.
The BOM makes Excel on a Chinese Windows read the CSV as UTF-8 rather than GBK; XLSX needs none.
Rows are written as they are read, so an export of every sample of a busy year (no cap) does not
hold the whole table twice in memory.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from hub.actors import Actor
from hub.errors import InvalidInput
from hub.reporting import reports
from hub.reporting.reports import Filters

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SUMMARY_COLUMNS = ("group", "metric", "n", "mean", "median", "p90", "max", "within_target_percent")
COMPLIANCE_COLUMNS = ("group", "target", "met", "breached", "active", "percent")
STREAM_BATCH = 5000


def header_block(report: str, filters: Filters, zone: ZoneInfo, generated_at: datetime) -> list[list[Any]]:
    unit = "calendar seconds" if filters.calendar_time else "business seconds"
    return [
        ["report", report],
        ["filters", json.dumps(filters.describe(), ensure_ascii=False)],
        ["time zone", zone.key],
        ["unit", unit],
        ["generated at", generated_at.astimezone(zone).isoformat()],
        [],
    ]


def summary_rows(report: dict[str, Any]) -> list[list[Any]]:
    """The summary as one table: a row per group and duration metric, then compliance, CSAT and
    volumes rows; the total's rows carry the group ``total``."""
    rows: list[list[Any]] = [list(SUMMARY_COLUMNS)]
    parts = [(g["label"] or g["key"] or "-", g) for g in report["groups"]] + [("total", report["total"])]
    for label, part in parts:
        for metric, v in part["durations"].items():
            rows.append(
                [
                    label,
                    metric,
                    v["n"],
                    v["mean"],
                    v["median"],
                    v["p90"],
                    v["max"],
                    v["within_target_percent"],
                ]
            )
    rows.append([])
    rows.append(list(COMPLIANCE_COLUMNS))
    for label, part in parts:
        for target, v in part["compliance"].items():
            rows.append([label, target, v["met"], v["breached"], v["active"], v["percent"]])
    rows.append([])
    rows.append(["group", "csat_sent", "csat_responses", "score_percent", "mean", "response_rate_percent"])
    for label, part in parts:
        c = part["csat"]
        rows.append(
            [label, c["sent"], c["responses"], c["score_percent"], c["mean"], c["response_rate_percent"]]
        )
    rows.append([])
    volumes = [
        "created",
        "resolved",
        "bot_resolved",
        "reopens",
        "reopened_within_7_days",
        "reopen_rate_percent",
        "backlog_at_end",
    ]
    rows.append(["group", *volumes])
    for label, part in parts:
        rows.append([label, *(part["volumes"][name] for name in volumes)])
    return rows


def _cell(value: Any, zone: ZoneInfo) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 1)
    if value is None:
        return ""
    return value if isinstance(value, int | str | bool) else str(value)


async def sample_table(
    session: AsyncSession, actor: Actor, filters: Filters, zone: ZoneInfo, metric: str | None = None
) -> AsyncIterator[list[Any]]:
    """The drill-down's samples as rows, read from the database in batches (no cap)."""
    filters = reports.scoped(actor, filters)
    yield list(reports.SAMPLE_FIELDS)
    query = reports.samples_query(filters, metric).execution_options(yield_per=STREAM_BATCH)
    stream = await session.stream(query)
    async for row in stream:
        yield [_cell(value, zone) for value in row]


def _csv(head: Sequence[Sequence[Any]], rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(head)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _xlsx(head: Sequence[Sequence[Any]], rows: Iterable[Sequence[Any]], title: str) -> bytes:
    import xlsxwriter  # only an export pays for loading it

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": True})
    sheet = book.add_worksheet(title[:31])
    for index, row in enumerate([*head, *rows]):
        for column, value in enumerate(row):
            sheet.write(index, column, "" if value is None else value)
    book.close()
    return out.getvalue()


def render(fmt: str, head: Sequence[Sequence[Any]], rows: Iterable[Sequence[Any]], title: str) -> bytes:
    if fmt == "csv":
        return _csv(head, rows)
    if fmt == "xlsx":
        return _xlsx(head, rows, title)
    raise InvalidInput(detail=f"format must be one of {', '.join(FORMATS)}")


async def summary_file(
    session: AsyncSession, actor: Actor, filters: Filters, fmt: str, zone: ZoneInfo, now: datetime
) -> bytes:
    report = await reports.summary(session, actor, filters)
    return render(fmt, header_block("summary", filters, zone, now), summary_rows(report), "summary")


async def samples_file(
    session: AsyncSession,
    actor: Actor,
    filters: Filters,
    fmt: str,
    zone: ZoneInfo,
    now: datetime,
    *,
    metric: str | None = None,
) -> bytes:
    rows = [row async for row in sample_table(session, actor, filters, zone, metric)]
    return render(fmt, header_block(f"samples {metric or 'all'}", filters, zone, now), rows, "samples")
