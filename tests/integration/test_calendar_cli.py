"""`hub sla due` and `hub calendar` against the test servers.

The first test runs the real executable, as a user does; the others check the commands' logic in
this process (``invoke_cli``): arguments, output and exit statuses are click's either way.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from hub.calendars import china
from hub.models import AuditEvent

pytestmark = pytest.mark.anyio


async def test_sla_due_prints_only_the_instant_in_the_calendars_zone(run_cli, hub) -> None:
    # The README example: one business day from Tuesday 17:00 is Wednesday 17:00.
    result = await run_cli("sla", "due", "--start", "2026-02-24T17:00:00+08:00", "--duration", "1bd")
    assert (result.code, result.out, result.err) == (0, "2026-02-25T17:00:00+08:00\n", "")

    utc = await run_cli(
        "sla", "due", "--start", "2026-02-25T01:00:00Z", "--duration", "3bh", "--calendar", "cn"
    )
    assert (utc.code, utc.out) == (0, "2026-02-25T12:00:00+08:00\n")

    elapsed = await run_cli("sla", "due", "--start", "2026-02-14T18:00:00+08:00", "--duration", "24h")
    assert elapsed.out == "2026-02-15T18:00:00+08:00\n"


async def test_sla_due_refuses_bad_input_with_exit_code_2(invoke_cli, hub) -> None:
    cases = {
        ("--start", "2026-02-25T09:00:00+08:00", "--duration", "3x"): "is not a duration",
        ("--start", "2026-02-25T09:00:00+08:00", "--duration", "1.5bh"): "<n>bm, <n>bh or <n>bd",
        ("--start", "2026-02-30T09:00:00+08:00", "--duration", "1bh"): "not an ISO 8601",
        ("--start", "yesterday", "--duration", "1bh"): "not an ISO 8601",
        ("--start", "2026-02-25T09:00:00", "--duration", "1bh"): "has no UTC offset",
        ("--start", "2026-02-25T09:00:00Z", "--duration", "1bh", "--calendar", "CN!"): "not a calendar name",
    }
    for args, message in cases.items():
        result = await invoke_cli("sla", "due", *args)
        assert result.code == 2, (args, result.err)
        assert message in result.err and result.out == "" and "Traceback" not in result.err


async def test_sla_due_with_an_unknown_calendar_fails_clearly(invoke_cli, hub) -> None:
    result = await invoke_cli(
        "sla", "due", "--start", "2026-02-25T09:00:00Z", "--duration", "1bh", "--calendar", "acme"
    )
    assert result.code == 1 and "No calendar named acme" in result.err and "Traceback" not in result.err


async def test_a_year_the_calendar_does_not_know_warns_but_answers(invoke_cli, hub) -> None:
    next_year = china.covered_years().stop
    start = f"{next_year - 1}-12-31T17:00:00+08:00"
    result = await invoke_cli("sla", "due", "--start", start, "--duration", "2bh")
    assert result.code == 0
    assert result.out.startswith(f"{next_year}-01-")  # answered by the weekly schedule
    assert f"does not know the holidays of {next_year}" in result.err and "set-day" in result.err

    # Entering the year's first day makes it known, and the answer follows the override.
    await invoke_cli("calendar", "set-day", "cn", f"{next_year}-01-01", "holiday", "--note", "元旦")
    again = await invoke_cli("sla", "due", "--start", start, "--duration", "2bh")
    assert again.err == "" and not again.out.startswith(f"{next_year}-01-01")


async def test_admin_days_change_the_answer_and_are_audited(invoke_cli, hub) -> None:
    args = ("sla", "due", "--start", "2026-03-05T17:00:00+08:00", "--duration", "2bh")
    assert (await invoke_cli(*args)).out == "2026-03-06T10:00:00+08:00\n"

    set_day = await invoke_cli("calendar", "set-day", "cn", "2026-03-06", "holiday", "--note", "公司活动日")
    assert set_day.code == 0, set_day.err
    assert (await invoke_cli(*args)).out == "2026-03-09T10:00:00+08:00\n"

    shown = await invoke_cli("calendar", "show", "cn", "--year", "2026", "--json")
    document = json.loads(shown.out)
    holidays = {d["date"]: d for d in document["holidays"]}
    assert holidays["2026-03-06"]["source"] == "admin" and holidays["2026-03-06"]["note"] == "公司活动日"
    assert {"2026-02-15", "2026-02-23", "2026-10-07"} <= set(holidays)
    workdays = {d["date"]: d["periods"] for d in document["workdays"]}
    assert workdays == {
        day: ["09:00-12:00", "13:00-18:00"]
        for day in ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]
    }

    removed = await invoke_cli("calendar", "remove-day", "cn", "2026-03-06")
    assert removed.code == 0, removed.err
    assert (await invoke_cli(*args)).out == "2026-03-06T10:00:00+08:00\n"

    async with hub.uow() as uow:
        actions = list(await uow.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))
        kinds = set(await uow.session.scalars(sa.select(AuditEvent.actor_kind)))
    assert actions == ["calendar.day_set", "calendar.day_removed"] and kinds == {"cli"}


async def test_calendar_list_show_and_bad_arguments(invoke_cli, hub) -> None:
    listed = await invoke_cli("calendar", "list")
    assert listed.code == 0 and listed.out.startswith("cn  Asia/Shanghai  mon-fri 09:00-12:00 13:00-18:00")

    shown = await invoke_cli("calendar", "show", "cn", "--year", "2025")
    assert shown.code == 0, shown.err
    assert "2025-01-28 Tue  春节 Spring Festival" in shown.out
    assert (
        "2025-01-26 Sun  09:00-12:00 13:00-18:00  春节调休上班 Spring Festival make-up workday" in shown.out
    )

    created = await invoke_cli(
        "calendar", "create", "acme-ny", "--zone", "America/New_York", "--week", "mon-fri=09:00-17:00"
    )
    assert created.code == 0, created.err
    dst = await invoke_cli(
        "sla", "due", "--start", "2026-03-06T21:00:00Z", "--duration", "2bh", "--calendar", "acme-ny"
    )
    assert dst.out == "2026-03-09T10:00:00-04:00\n"

    bad_date = await invoke_cli("calendar", "set-day", "cn", "2026-13-01", "holiday")
    assert bad_date.code == 2 and "is not a date" in bad_date.err
    bad_kind = await invoke_cli("calendar", "set-day", "cn", "2026-03-06", "vacation")
    assert bad_kind.code == 2 and "vacation" in bad_kind.err
    missing = await invoke_cli("calendar", "remove-day", "cn", "2026-03-06")
    assert missing.code == 1 and "no override" in missing.err
