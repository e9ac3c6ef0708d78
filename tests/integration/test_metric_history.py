"""`hub import history` and `hub report`, run in this process as an operator would run them."""

from __future__ import annotations

import csv
import io
import json

import pytest

from hub.domain import ChannelKind, Role
from tests import factories

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def _desk(hub):
    team = await factories.team(hub, name="售后组")
    agent = await factories.user(hub, Role.AGENT, team_id=team.id, email="li@example.test")
    for kind in (ChannelKind.WEBCHAT, ChannelKind.EMAIL, ChannelKind.PHONE):
        await factories.channel(hub, kind, team_id=team.id)
    return team, agent


def _line(**fields) -> str:
    return json.dumps(fields, ensure_ascii=False)


# B1: a bot-resolved first cycle, reopened five days later and answered in ten minutes.
B1 = _line(
    ref="old-1",
    channel="webchat",
    subject="订单查询",
    contact={"identity": "visitor-1", "name": "王先生"},
    team="售后组",
    events=[
        {"at": "2026-03-02T10:00:00+08:00", "kind": "customer_message", "text": "我的订单到哪了"},
        {"at": "2026-03-02T10:00:05+08:00", "kind": "bot_message", "text": "您的订单已发货"},
        {"at": "2026-03-02T10:05:00+08:00", "kind": "resolved"},
        {"at": "2026-03-07T10:00:00+08:00", "kind": "customer_message", "text": "还没收到"},
        {"at": "2026-03-07T10:01:00+08:00", "kind": "handoff"},
        {
            "at": "2026-03-07T10:10:00+08:00",
            "kind": "agent_message",
            "by": "li@example.test",
            "text": "我查一下",
        },
        {"at": "2026-03-07T10:30:00+08:00", "kind": "resolved", "by": "li@example.test"},
        {"at": "2026-03-07T10:31:00+08:00", "kind": "csat_sent", "channel": "webchat"},
        {"at": "2026-03-07T10:35:00+08:00", "kind": "csat_response", "rating": 5},
    ],
)
# B6: an outbound call nobody answered is no response; the answered call back is.
CALLS = _line(
    ref="old-2",
    channel="phone",
    contact={"identity": "+8613800138000"},
    events=[
        {"at": "2026-03-03T09:30:00+08:00", "kind": "customer_message", "text": "voicemail"},
        {"at": "2026-03-03T09:40:00+08:00", "kind": "note", "by": "li@example.test", "text": "will call"},
        {
            "at": "2026-03-03T09:45:00+08:00",
            "kind": "call",
            "direction": "outbound",
            "disposition": "no_answer",
            "by": "li@example.test",
        },
        {
            "at": "2026-03-03T10:00:00+08:00",
            "kind": "call",
            "direction": "outbound",
            "disposition": "answered",
            "talk_seconds": 120,
            "by": "li@example.test",
        },
    ],
)


async def test_import_is_idempotent_reports_bad_lines_and_gives_the_ticket_report(
    tmp_path, invoke_cli, hub
) -> None:
    await _desk(hub)
    bad_time = _line(
        ref="old-3",
        channel="email",
        contact={"identity": "a@example.com"},
        events=[{"at": "2026-03-03T09:30:00", "kind": "customer_message"}],
    )
    unknown = _line(
        ref="old-4",
        channel="email",
        contact={"identity": "a@example.com"},
        events=[
            {"at": "2026-03-03T09:30:00+08:00", "kind": "customer_message", "text": "hi"},
            {
                "at": "2026-03-03T09:31:00+08:00",
                "kind": "agent_message",
                "by": "nobody@example.test",
                "text": "hi",
            },
        ],
    )
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join([B1, CALLS, bad_time, "{not json", unknown]) + "\n", encoding="utf-8")

    first = await invoke_cli("import", "history", str(path), "--json")
    summary = json.loads(first.out.strip().splitlines()[-1])
    assert summary["lines"] == 5 and summary["imported"] == 2 and summary["rejected"] == 3
    assert summary["duplicate"] == 0 and first.code == 1
    reasons = {p["line"]: p["reason"] for p in summary["problems"]}
    assert "no UTC offset" in reasons[3] and "not JSON" in reasons[4]
    assert "nobody@example.test" in reasons[5] and "not an active staff user" in reasons[5]

    again = json.loads((await invoke_cli("import", "history", str(path), "--json")).out.splitlines()[-1])
    assert again["imported"] == 0 and again["duplicate"] == 2

    report = json.loads((await invoke_cli("report", "ticket", "old-1", "--json")).out)
    assert report["calendar"] == "cn" and report["reopen_count"] == 1
    # B1: from the reopening message, not from creation five days earlier; Saturday 7 March 2026
    # is no make-up workday, so the business value is 0.
    assert report["first_response"] == {
        "calendar_seconds": 600.0,
        "business_seconds": 0.0,
        "by": "li@example.test",
    }
    assert report["human_pickup"]["calendar_seconds"] == 540.0, "from the bot's hand-off"
    assert report["reply_times"] == []
    assert [c["calendar_seconds"] for c in report["resolution_cycles"]] == [300.0, 1800.0]
    assert report["resolution_first"]["calendar_seconds"] == 300.0
    assert report["resolution_full"]["calendar_seconds"] == 5 * 86400 + 1800.0

    calls = json.loads((await invoke_cli("report", "ticket", "old-2", "--json")).out)
    assert calls["first_response"]["calendar_seconds"] == 1800.0, "the unanswered call answered nothing"

    summary = json.loads(
        (
            await invoke_cli(
                "report", "summary", "--from", "2026-03-01", "--to", "2026-03-31", "--by", "channel", "--json"
            )
        ).out
    )
    total = summary["total"]
    assert total["durations"]["first_response"]["n"] == 2
    assert total["csat"] == {
        "sent": 1,
        "responses": 1,
        "score_percent": 100.0,
        "mean": 5.0,
        "response_rate_percent": 100.0,
    }
    assert total["volumes"]["bot_resolved"] == 1 and total["volumes"]["reopens"] == 1
    # M6: old-1's first resolve (2 March) was undone within 7 days (7 March): 1 of the 2 resolves.
    assert total["volumes"]["reopened_within_7_days"] == 1 and total["volumes"]["reopen_rate_percent"] == 50.0
    by_channel = {g["key"]: g for g in summary["groups"]}
    assert by_channel["phone"]["durations"]["first_response"]["n"] == 1

    out = tmp_path / "summary.csv"
    await invoke_cli(
        "report", "export", "--from", "2026-03-01", "--to", "2026-03-31", "--samples", "-o", str(out)
    )
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["report", "samples all"] and rows[2] == ["time zone", "Asia/Shanghai"]
    assert rows[3] == ["unit", "business seconds"] and rows[5] == []
    header = rows[6]
    firsts = [r for r in rows[7:] if r[header.index("metric")] == "first_response"]
    assert len(firsts) == 2


async def test_the_demo_history_gives_non_trivial_reports(hub) -> None:
    from datetime import UTC, datetime, timedelta

    from hub.actors import CLI
    from hub.demo import seed_demo
    from hub.reporting import reports

    said = await seed_demo(hub)
    assert "earlier conversations" in said
    today = datetime.now(UTC).date()
    filters = reports.Filters(today - timedelta(days=45), today, by="agent")
    async with hub.uow() as uow:
        summary = await reports.summary(uow.session, CLI, filters)
        trend = await reports.trend(uow.session, CLI, filters, "week")
    total = summary["total"]
    assert total["durations"]["first_response"]["n"] >= 20
    assert total["durations"]["first_response"]["median"] is not None
    assert total["durations"]["reply_time"]["n"] > 0 and total["durations"]["human_pickup"]["n"] > 0
    first = total["compliance"]["first_response"]
    assert first["met"] > 0 and first["breached"] > 0 and 0 < first["percent"] < 100
    assert total["csat"]["responses"] > 0 and total["csat"]["response_rate_percent"] < 100
    assert total["volumes"]["bot_resolved"] > 0 and total["volumes"]["reopens"] > 0
    assert len([g for g in summary["groups"] if g["key"]]) >= 2, "both agents answered"
    weeks = trend["periods"]
    assert len(weeks) >= 4
    assert (
        sum(w["durations"]["first_response"]["n"] for w in weeks) == total["durations"]["first_response"]["n"]
    )


async def test_lines_in_flight_together_never_import_one_ref_twice(hub) -> None:
    """Lines are replayed several at once: a ref twice in one file is still one ticket, problems
    come back in line order, and a resolved ticket the history puts back to pending (as an earlier
    helpdesk allowed) is taken back first: a reopen, not a refusal."""
    import sqlalchemy as sa

    from hub.actors import CLI
    from hub.intake import history
    from hub.models import ThreadRef
    from hub.reporting import reports

    await _desk(hub)
    pended = json.loads(CALLS)
    pended["ref"] = "old-5"
    pended["events"] += [
        {"at": "2026-03-03T10:05:00+08:00", "kind": "resolved", "by": "li@example.test"},
        {"at": "2026-03-03T10:06:00+08:00", "kind": "pending", "by": "li@example.test"},
    ]
    summary = await history.import_history(hub, ["{no", B1, CALLS, B1, json.dumps(pended), CALLS])
    assert (summary.lines, summary.imported, summary.duplicate, summary.rejected) == (6, 3, 2, 1)
    assert [p.line for p in summary.problems] == [1]
    async with hub.uow() as uow:
        refs = list(await uow.session.scalars(sa.select(ThreadRef.ref).where(ThreadRef.ref.like("import:%"))))
        report = await reports.ticket_report(uow.session, CLI, "old-5")
    assert sorted(refs) == ["import:old-1", "import:old-2", "import:old-5"]
    assert report["reopen_count"] == 1 and report["queued"] is False
