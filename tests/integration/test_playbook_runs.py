"""Playbook runs as use cases: the pinned version, actions through the hub's own use cases, the
WeChat window, and due instants in business time."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from hub.accounts import teams
from hub.actors import CLI
from hub.calendars.due import compute_due
from hub.calendars.durations import parse_duration
from hub.calendars.service import load_calendar
from hub.domain import ChannelKind, Priority, Role, Scenario
from hub.errors import InvalidInput
from hub.intake.inbound import WindowGrant
from hub.models import (
    Handoff,
    Message,
    Notification,
    PlaybookSuggestionRow,
    PlaybookVersionRow,
    Requirement,
    Ticket,
    TicketSla,
)
from hub.playbooks import replies, runs, views
from hub.tickets import tickets
from playbooks.catalogue import LIBRARY, Catalogue
from tests import factories
from tests.conftest import ManualClock
from tests.email_helpers import ingestor, mail, mailbox

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _ticket(hub, kind: ChannelKind = ChannelKind.EMAIL, **channel):
    row = await factories.channel(hub, kind, **channel)
    if kind is ChannelKind.EMAIL:
        return (await factories.inbound(hub, row.id, name="王女士", text="我要投诉")).ticket_id
    # As the WeChat channel says of each follower's message: 48 hours, 5 replies.
    sender, window = f"{row.config['app_id']}:oClient", WindowGrant(seconds=48 * 3600, replies=5)
    return (
        await factories.inbound(hub, row.id, sender=sender, name="王女士", text="我要投诉", window=window)
    ).ticket_id


async def test_a_run_keeps_its_version_when_the_file_changes(hub, tmp_path: Path) -> None:
    actor = factories.actor(await factories.user(hub))
    first = await _ticket(hub)
    started = await runs.start(hub, actor, first, "complaint")
    assert started.run is not None and started.run.version == 1

    company = tmp_path / "company"
    company.mkdir()
    text = (LIBRARY / "complaint.yaml").read_text(encoding="utf-8").replace("version: 1", "version: 2")
    text = text.replace(
        "  - id: holding\n    kind: reply\n", "  - id: holding\n    kind: reply\n    required: true\n"
    )
    (company / "complaint.yaml").write_text(text, encoding="utf-8")
    shutil.copy(LIBRARY / "snippets.yaml", company / "snippets.yaml")
    edited = dataclasses.replace(hub, playbooks=Catalogue([LIBRARY, company]))

    # The running instance keeps v1's steps (holding optional); a new ticket gets v2.
    kept = await views.show(edited, actor, first)
    assert kept.run is not None and kept.run.version == 1
    assert not next(s for s in kept.run.steps if s.id == "holding").required
    second = await _ticket(hub)
    newer = await runs.start(edited, actor, second, "complaint")
    assert newer.run is not None and newer.run.version == 2
    assert next(s for s in newer.run.steps if s.id == "holding").required
    async with hub.uow() as uow:
        versions = (
            await uow.session.execute(sa.select(PlaybookVersionRow.playbook_id, PlaybookVersionRow.version))
        ).all()
    assert sorted(versions) == [("complaint", 1), ("complaint", 2)]


async def test_a_red_complaint_escalates_through_the_action_step(hub) -> None:
    lead = await factories.user(hub, Role.SUPERVISOR)
    team = await factories.team(hub, lead_id=lead.id)
    agent = await factories.user(hub, team_id=team.id)
    actor = factories.actor(agent)
    ticket_id = await _ticket(hub, team_id=team.id)
    await runs.start(hub, actor, ticket_id, "complaint")
    form = {"order_no": "SO-123456", "category": "product_quality", "severity": "red", "expectation": "退款"}
    after_form = await runs.complete(hub, actor, ticket_id, "collect", runs.StepInput(fields=form))
    assert after_form.run is not None
    states = {s.id: s.state for s in after_form.run.steps}
    assert states["escalate_now"] == "open" and states["investigate"] == "open"
    done = await runs.complete(hub, actor, ticket_id, "escalate_now", runs.StepInput())
    assert done.run is not None
    record = next(s for s in done.run.steps if s.id == "escalate_now").record
    assert record is not None and record["evidence"]["actions"] == [
        "set_priority: urgent",
        "notify: team_lead (1)",
    ]
    ticket = await factories.get(hub, Ticket, ticket_id)
    assert ticket.priority is Priority.URGENT
    async with hub.uow() as uow:
        told = (
            await uow.session.scalars(sa.select(Notification).where(Notification.kind == "playbook"))
        ).all()
    assert [(n.user_id, n.params["playbook"]) for n in told] == [(lead.id, "complaint")]


async def test_requirement_intake_records_the_requirement_in_the_loop(hub) -> None:
    actor = factories.actor(await factories.user(hub))
    ticket_id = await _ticket(hub)
    await runs.start(hub, actor, ticket_id, "requirement_intake")
    await runs.complete(
        hub,
        actor,
        ticket_id,
        "record",
        runs.StepInput(fields={"requirement": "发票抬头支持英文", "priority": "high"}),
    )
    await runs.complete(hub, actor, ticket_id, "hand_on", runs.StepInput())
    async with hub.uow() as uow:
        requirement = await uow.session.scalar(
            sa.select(Requirement).where(Requirement.ticket_id == ticket_id)
        )
    assert requirement is not None
    assert requirement.content == "发票抬头支持英文" and requirement.priority is Priority.HIGH
    assert requirement.owner_id == actor.user_id
    ticket = await factories.get(hub, Ticket, ticket_id)
    assert "requirement" in ticket.tags


async def test_outside_the_wechat_window_only_the_template_variant_is_offered(hub) -> None:
    actor = factories.actor(await factories.user(hub))
    ticket_id = await _ticket(hub, ChannelKind.WECHAT)
    await runs.start(hub, actor, ticket_id, "complaint")
    inside = await replies.render_reply(hub, actor, ticket_id, "callback", locale="zh-CN", ask={})
    assert inside.variant == "text" and inside.text.startswith("王女士您好")
    later = dataclasses.replace(hub, clock=ManualClock(hub.clock.now() + timedelta(hours=49)))
    outside = await replies.render_reply(later, actor, ticket_id, "callback", locale="zh-CN", ask={})
    assert outside.variant == "wechat_template" and outside.text.startswith("您反馈的问题（工单 ")
    # A reply with no template variant asks for another channel instead of sending into a closed window.
    with pytest.raises(InvalidInput, match="no WeChat template variant; answer on another channel"):
        await replies.render_reply(later, actor, ticket_id, "acknowledge", locale="zh-CN", ask={})


async def test_step_due_instants_count_business_time_on_chinas_calendar(hub) -> None:
    """``propose`` is due 3bd after the start: from Tue 2025-09-30 17:30 (National Day week
    between) it is Sat 2025-10-11 17:30, a make-up working day: 0.5 h on 09-30, 8 h on 10-09,
    8 h on 10-10 and 7.5 h on 10-11."""
    start = datetime(2025, 9, 30, 17, 30, tzinfo=SHANGHAI)
    clocked = dataclasses.replace(hub, clock=ManualClock(start.astimezone(UTC)))
    actor = factories.actor(await factories.user(hub))
    ticket_id = await _ticket(hub)
    panel = await runs.start(clocked, actor, ticket_id, "complaint")
    assert panel.run is not None
    due = {s.id: s.due_at for s in panel.run.steps}
    assert due["propose"] == datetime(2025, 10, 11, 17, 30, tzinfo=SHANGHAI)
    # Counted from another step: not before that step is done.
    assert due["collect"] is None


async def test_suggestions_are_stored_when_a_ticket_opens_and_when_its_scenario_changes(hub) -> None:
    actor = factories.actor(await factories.user(hub))
    ticket_id = await _ticket(hub)  # "我要投诉", scenario inquiry by default
    stored = await factories.get(hub, PlaybookSuggestionRow, ticket_id)
    assert stored.cause == "opened"
    assert [(s["playbook"], s["reason"], s["detail"]) for s in stored.suggestions] == [
        ("inquiry", "scenario", "inquiry"),
        ("complaint", "keyword", "投诉"),
    ]
    await tickets.set_scenario(hub, actor, ticket_id, Scenario.AFTER_SALES)
    stored = await factories.get(hub, PlaybookSuggestionRow, ticket_id)
    assert stored.cause == "scenario"
    assert [(s["playbook"], s["reason"]) for s in stored.suggestions] == [
        ("after_sales", "scenario"),
        ("complaint", "keyword"),
    ]
    panel = await views.show(hub, actor, ticket_id)
    assert [s.playbook_id for s in panel.suggestions] == ["after_sales", "complaint"]


async def test_the_email_acknowledgement_comes_from_the_library_unless_the_mailbox_has_its_own(
    hub, tmp_path: Path
) -> None:
    box = await mailbox(hub, auto_ack=True)
    email = await ingestor(hub)
    first = await email.ingest(box.id, mail(subject="发票问题"))
    number = (await factories.get(hub, Ticket, first.ticket_id)).number
    assert first.acknowledged
    ack = await _ack_of(hub, first.ticket_id)
    assert ack.is_auto and ack.meta["automatic"] == "acknowledgement"
    assert ack.meta["subject"] == f"[#{number}] 我们已收到您的邮件 / We received your message: 发票问题"
    assert ack.text == (
        f"您好，\n\n我们已收到您的邮件，工单号 #{number}。客服人员会尽快回复您；回复本邮件即可补充信息。\n\n"
        f"Hello,\n\nwe received your message and opened ticket #{number}. An agent will answer soon; "
        "reply to this mail to add anything."
    )
    # A company's folder replaces the shipped acknowledgement, checked like any playbook file.
    company = tmp_path / "company"
    company.mkdir()
    text = (LIBRARY / "acknowledgement.yaml").read_text(encoding="utf-8")
    (company / "acknowledgement.yaml").write_text(
        text.replace("客服人员会尽快回复您", "我们会在一个工作日内回复您"), encoding="utf-8"
    )
    theirs = dataclasses.replace(hub, playbooks=Catalogue([LIBRARY, company]))
    second = await (await ingestor(theirs)).ingest(box.id, mail(sender="other@client.example", subject="x"))
    assert "我们会在一个工作日内回复您" in (await _ack_of(hub, second.ticket_id)).text


async def _ack_of(hub, ticket_id) -> Message:
    async with hub.uow() as uow:
        found = await uow.session.scalar(
            sa.select(Message).where(Message.ticket_id == ticket_id, Message.is_auto)
        )
    assert found is not None
    return found


async def test_the_playbooks_targets_replace_the_policys_while_it_runs(hub) -> None:
    """The complaint playbook promises a resolution within 3bd; the default e-mail policy none.
    The ticket's clocks say so, named after the playbook, and go back once it completes."""
    actor = factories.actor(await factories.user(hub))
    ticket_id = await _ticket(hub)
    before = await factories.get(hub, TicketSla, ticket_id)
    assert before.policy_name == "default-email" and before.resolution_due_at is None
    await runs.start(hub, actor, ticket_id, "complaint")
    during = await factories.get(hub, TicketSla, ticket_id)
    assert during.policy_name == "playbook:complaint" and during.resolution_state == "active"
    assert during.first_response_due_at == before.first_response_due_at  # e-mail: 1bd either way
    opened = (await factories.get(hub, Ticket, ticket_id)).created_at
    calendar_due = compute_due(await load_calendar(hub, "cn"), opened, parse_duration("3bd")).at
    assert during.resolution_due_at == calendar_due
    for step in ("acknowledge", "collect", "investigate", "propose", "execute", "callback"):
        await runs.skip(hub, actor, ticket_id, step, "测试：跳过")
    after = await factories.get(hub, TicketSla, ticket_id)
    assert after.policy_name == "default-email" and after.resolution_due_at is None


async def test_the_demo_tickets_have_playbooks_suggested(invoke_cli, hub) -> None:
    """`hub serve --demo` (seed-demo) shows the playbooks at work: each demo ticket is suggested the
    playbook of its scenario, the complaint one the complaint playbook."""
    result = await invoke_cli("seed-demo")
    assert result.code == 0, result.err
    async with hub.uow() as uow:
        rows = (
            await uow.session.execute(
                sa.select(Ticket.scenario, PlaybookSuggestionRow.suggestions).join(
                    PlaybookSuggestionRow, PlaybookSuggestionRow.ticket_id == Ticket.id
                )
            )
        ).all()
        total = await uow.session.scalar(sa.select(sa.func.count()).select_from(Ticket))
    assert len(rows) == total
    suggested = {scenario.value: {s["playbook"] for s in found} for scenario, found in rows}
    assert "complaint" in suggested["complaint"]
    assert "after_sales" in suggested["after_sales"]
    assert "requirement_intake" in suggested["requirement"]
    assert "inquiry" in suggested["inquiry"]


async def test_a_hand_off_step_asks_the_other_teams_liaison(hub) -> None:
    sales = await factories.team(hub, "Sales", name_zh="销售部")
    liaison = await factories.user(hub, team_id=sales.id)
    await teams.update_team(hub, CLI, sales.id, teams.TeamChanges(liaison_id=liaison.id))
    actor = factories.actor(await factories.user(hub))
    ticket_id = await _ticket(hub)
    await runs.start(hub, actor, ticket_id, "partner_delivery_delay")
    facts = {"order_no": "PO-7788", "new_date": "2026-12-20", "cause": "原材料短缺", "client_impact": "true"}
    after = await runs.complete(hub, actor, ticket_id, "facts", runs.StepInput(fields=facts))
    assert after.run is not None and after.run.fields["client_impact"] is True
    done = await runs.complete(hub, actor, ticket_id, "tell_owner", runs.StepInput())
    assert done.run is not None
    record = next(s for s in done.run.steps if s.id == "tell_owner").record
    async with hub.uow() as uow:
        handoff = await uow.session.scalar(sa.select(Handoff).where(Handoff.ticket_id == ticket_id))
    assert handoff is not None and record is not None and record["evidence"]["handoff_id"] == str(handoff.id)
    assert handoff.to_team_id == sales.id and handoff.liaison_id == liaison.id
    assert handoff.note == "合作方交付延迟，影响客户订单，请评估并通知相关客户。"
    # The confirmation fills in the form's values.
    reply = await replies.render_reply(hub, actor, ticket_id, "confirm", locale="zh-CN", ask={})
    assert "采购单 PO-7788 的新交货日期为 2026-12-20" in reply.text
