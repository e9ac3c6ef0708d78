"""On-screen totals equal export sums, for any filters (A-3), and the business/calendar toggle
reaches the export (B15)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.actors import CLI
from hub.domain import ChannelKind, Role
from hub.intake import history
from hub.models import ThreadRef
from hub.reporting import exports, reports
from hub.reporting.samples import DURATION_METRICS
from tests import factories
from tests.integration.sla_setup import sh

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

SHANGHAI = ZoneInfo("Asia/Shanghai")
AGENTS = ("export-a@example.test", "export-b@example.test")
FIRST_DAY = date(2026, 2, 10)


async def _world(hub) -> None:
    async with hub.uow() as uow:
        if await uow.session.scalar(sa.select(ThreadRef.id).where(ThreadRef.ref == "import:exp-0")):
            return
    team = await factories.team(hub, name="导出组")
    for email in AGENTS:
        await factories.user(hub, Role.AGENT, team_id=team.id, email=email)
    for kind in (ChannelKind.WEBCHAT, ChannelKind.EMAIL):
        await factories.channel(hub, kind, team_id=team.id)
    lines = []
    for n in range(12):
        start = sh("2026-02-10T09:00") + timedelta(days=n, hours=n % 7, minutes=7 * n)
        channel = "webchat" if n % 3 else "email"
        events = [
            {"at": start.isoformat(), "kind": "customer_message", "text": f"问题 {n}"},
            {
                "at": (start + timedelta(minutes=3 + 9 * n)).isoformat(),
                "kind": "agent_message",
                "by": AGENTS[n % 2],
                "text": "您好",
            },
            {"at": (start + timedelta(hours=2)).isoformat(), "kind": "customer_message", "text": "还有"},
            {
                "at": (start + timedelta(hours=2 + n)).isoformat(),
                "kind": "agent_message",
                "by": AGENTS[0],
                "text": "好的",
            },
            {"at": (start + timedelta(hours=30)).isoformat(), "kind": "resolved", "by": AGENTS[1]},
            {"at": (start + timedelta(hours=31)).isoformat(), "kind": "csat_sent", "channel": channel},
        ]
        if n % 2:
            events.append(
                {
                    "at": (start + timedelta(hours=32)).isoformat(),
                    "kind": "csat_response",
                    "rating": 1 + n % 5,
                }
            )
        lines.append(
            json.dumps(
                {
                    "ref": f"exp-{n}",
                    "channel": channel,
                    "contact": {"identity": f"client{n}@example.com" if channel == "email" else f"v{n}"},
                    "events": events,
                }
            )
        )
    summary = await history.import_history(hub, lines)
    assert summary.imported == 12, summary.problems


_filters = st.builds(
    lambda start, length, channel, by, calendar_time: reports.Filters(
        FIRST_DAY + timedelta(days=start),
        FIRST_DAY + timedelta(days=start + length),
        channel,
        by,
        calendar_time,
    ),
    st.integers(-2, 14),
    st.integers(0, 20),
    st.sampled_from([None, "webchat", "email"]),
    st.sampled_from([None, "agent", "channel", "team"]),
    st.booleans(),
)


def _table(data: bytes) -> list[dict[str, str]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    blank = rows.index([])  # the header block ends; the (first) table runs to the next blank row
    body = rows[blank + 2 :]
    end = body.index([]) if [] in body else len(body)
    return [dict(zip(rows[blank + 1], row, strict=True)) for row in body[:end]]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(filters=_filters)
async def test_the_summary_totals_equal_the_sums_of_the_exported_samples(clocked_hub, clock, filters) -> None:
    hub = clocked_hub
    clock.at = sh("2026-03-10T12:00")
    await _world(hub)
    now = clock.at
    async with hub.uow() as uow:
        shown = await reports.summary(uow.session, CLI, filters)
        data = await exports.samples_file(uow.session, CLI, filters, "csv", SHANGHAI, now)
        table = await exports.summary_file(uow.session, CLI, filters, "csv", SHANGHAI, now)
    head = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[:5]
    unit = "calendar seconds" if filters.calendar_time else "business seconds"
    assert head[3] == ["unit", unit] and head[2] == ["time zone", "Asia/Shanghai"]
    rows = _table(data)
    column = "calendar_seconds" if filters.calendar_time else "business_seconds"
    for metric in DURATION_METRICS:
        values = [float(r[column]) for r in rows if r["metric"] == metric]
        total = shown["total"]["durations"][metric]
        assert total["n"] == len(values), metric
        if values:
            assert total["mean"] == pytest.approx(sum(values) / len(values), abs=0.06), metric
            assert total["max"] == pytest.approx(max(values), abs=0.06), metric
    sla = [r for r in rows if r["metric"] == "sla"]
    for target, counts in shown["total"]["compliance"].items():
        for outcome in ("met", "breached"):
            assert counts[outcome] == sum(1 for r in sla if r["target"] == target and r["outcome"] == outcome)
    assert shown["total"]["csat"]["sent"] == sum(1 for r in rows if r["metric"] == "csat_sent")
    assert shown["total"]["csat"]["responses"] == sum(1 for r in rows if r["metric"] == "csat_response")
    # The exported summary table says what the screen says, group by group.
    exported = {(r["group"], r["metric"]): r for r in _table(table) if r.get("metric") in DURATION_METRICS}
    for group in [*shown["groups"], {"label": "total", **shown["total"]}]:
        label = "total" if group.get("label") == "total" else group["label"] or group["key"] or "-"
        for metric, value in group["durations"].items():
            assert int(exported[(label, metric)]["n"]) == value["n"]
