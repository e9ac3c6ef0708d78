"""Internal hand-offs: another team's liaison answers within 2 business hours, or the sweep says so."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from hub import notifications
from hub.accounts import teams
from hub.actors import CLI
from hub.domain import ChannelKind, HandoffStatus, Presence, Role, TicketEventKind
from hub.errors import Conflict, Forbidden, InvalidInput, NotFound
from hub.models import Handoff, Notification, Team, TicketEvent, User
from hub.requirements import followup_sweep, handoffs
from hub.sla.targets import ClockStatus
from hub.tickets import tickets
from tests import factories
from tests.integration.sla_setup import local, sh

pytestmark = [pytest.mark.anyio, pytest.mark.integration]
K = TicketEventKind


@dataclass
class Desks:
    agent: User
    liaison: User
    accountant: User
    lead: User
    finance: Team
    ticket_id: uuid.UUID


@pytest.fixture
def hub(clocked_hub, clock):
    clock.at = sh("2026-03-04T11:00")  # a Wednesday, an hour before lunch
    return clocked_hub


@pytest.fixture
async def desks(hub) -> Desks:
    service, finance = await factories.team(hub, "Service"), await factories.team(hub, "Finance")
    agent = await factories.user(hub, Role.AGENT, team_id=service.id)
    liaison = await factories.user(hub, Role.AGENT, team_id=finance.id, presence=Presence.AWAY)
    accountant = await factories.user(hub, Role.AGENT, team_id=finance.id, presence=Presence.AWAY)
    lead = await factories.user(hub, Role.SUPERVISOR, team_id=finance.id, presence=Presence.AWAY)
    await teams.update_team(hub, CLI, finance.id, teams.TeamChanges(liaison_id=liaison.id, lead_id=lead.id))
    mailbox = await factories.channel(hub, ChannelKind.EMAIL, team_id=service.id)
    ticket_id = (
        await factories.inbound(hub, mailbox.id, sender="buyer@client.cn", subject="发票重开")
    ).ticket_id
    return Desks(agent, liaison, accountant, lead, finance, ticket_id)


async def _handoff(hub, d: Desks, note: str = "客户要求重开发票，请财务确认税号") -> Handoff:
    return await handoffs.request(hub, factories.actor(d.agent), d.ticket_id, team_id=d.finance.id, note=note)


async def _events(hub, ticket_id, *kinds: TicketEventKind) -> list[TicketEvent]:
    return [e for e in await factories.events(hub, ticket_id) if e.kind in kinds]


async def _told(hub, kind: str) -> list[uuid.UUID]:
    async with hub.uow() as uow:
        return sorted(
            await uow.session.scalars(sa.select(Notification.user_id).where(Notification.kind == kind))
        )


async def test_a_handoff_is_due_two_business_hours_later_and_told_to_the_liaison(hub, desks) -> None:
    handoff = await _handoff(hub, desks)
    assert handoff.liaison_id == desks.liaison.id and handoff.status is HandoffStatus.OPEN
    assert (local(handoff.due_at), local(handoff.warn_at)) == ("2026-03-04T14:00:00", "2026-03-04T13:36:00")
    (requested,) = await _events(hub, desks.ticket_id, K.HANDOFF_REQUESTED)
    assert requested.data["handoff_id"] == str(handoff.id) and requested.actor_user_id == desks.agent.id
    assert await _told(hub, "handoff_requested") == [desks.liaison.id]
    async with hub.uow() as uow:
        row = await uow.session.scalar(
            sa.select(Notification).where(Notification.kind == "handoff_requested")
        )
    assert notifications.render(row, "zh-CN", "Asia/Shanghai") == (
        "工单 #10001（发票重开）转交贵部门：客户要求重开发票，请财务确认税号 请在 2026-03-04 14:00 前答复。"
    )
    audit = [a.action for a in await factories.audit_trail(hub, desks.ticket_id)]
    assert "ticket.handoff_requested" in audit


async def test_a_handoff_needs_another_team_with_a_liaison_and_a_note(hub, desks) -> None:
    agent = factories.actor(desks.agent)
    with pytest.raises(InvalidInput):
        await _handoff(hub, desks, note="  ")
    with pytest.raises(InvalidInput):
        await handoffs.request(
            hub, factories.actor(desks.accountant), desks.ticket_id, team_id=desks.finance.id, note="x"
        )
    lonely = await factories.team(hub, "Legal")
    with pytest.raises(Conflict):
        await handoffs.request(hub, agent, desks.ticket_id, team_id=lonely.id, note="x")
    with pytest.raises(NotFound):
        await handoffs.request(hub, agent, desks.ticket_id, team_id=uuid.uuid4(), note="x")
    with pytest.raises(NotFound):
        await handoffs.request(hub, agent, uuid.uuid4(), team_id=desks.finance.id, note="x")


async def test_any_member_of_the_team_answers_with_a_note_in_time(hub, clock, desks) -> None:
    handoff = await _handoff(hub, desks)
    clock.at = sh("2026-03-04T13:10")
    await tickets.note(
        hub, factories.actor(desks.agent), desks.ticket_id, tickets.Draft(text="补充：客户很急")
    )
    outsider = await factories.user(hub)
    await tickets.note(hub, factories.actor(outsider), desks.ticket_id, tickets.Draft(text="我来看看"))
    assert (await factories.get(hub, Handoff, handoff.id)).status is HandoffStatus.OPEN, (
        "asker and outsiders do not answer"
    )
    await tickets.note(
        hub, factories.actor(desks.accountant), desks.ticket_id, tickets.Draft(text="税号已确认，可以重开")
    )
    answered = await factories.get(hub, Handoff, handoff.id)
    assert answered.status is HandoffStatus.ANSWERED and answered.state is ClockStatus.MET
    assert answered.answered_by_id == desks.accountant.id and answered.next_due_at is None
    (event,) = await _events(hub, desks.ticket_id, K.HANDOFF_ANSWERED)
    assert (
        event.data == {"handoff_id": str(handoff.id), "late": False}
        and event.message_id == answered.answer_message_id
    )
    assert await _told(hub, "handoff_answered") == [desks.agent.id]
    clock.at = sh("2026-03-05T10:00")
    assert (await followup_sweep.sweep(hub)).handoffs == 0


async def test_an_unanswered_handoff_warns_the_liaison_then_breaches_to_asker_and_lead(
    hub, clock, desks
) -> None:
    handoff = await _handoff(hub, desks)
    clock.at = sh("2026-03-04T13:40")
    result = await followup_sweep.sweep(hub)
    assert (result.handoffs, result.warnings, result.breaches) == (1, 1, 0)
    assert await _told(hub, "handoff_warning") == [desks.liaison.id]
    clock.at = sh("2026-03-04T14:00:30")
    result = await followup_sweep.sweep(hub)
    assert (result.warnings, result.breaches) == (0, 1)
    assert await _told(hub, "handoff_breached") == sorted([desks.liaison.id, desks.agent.id, desks.lead.id])
    assert (await factories.get(hub, Handoff, handoff.id)).state is ClockStatus.BREACHED
    breaches = await _events(hub, desks.ticket_id, K.HANDOFF_WARNING, K.HANDOFF_BREACHED)
    assert [e.dedupe_key for e in breaches] == [
        f"handoff_warning:{handoff.id}",
        f"handoff_breached:{handoff.id}",
    ]

    clock.at = sh("2026-03-04T15:00")
    await tickets.reply(hub, factories.actor(desks.liaison), desks.ticket_id, tickets.Draft(text="已处理"))
    late = await factories.get(hub, Handoff, handoff.id)
    assert late.status is HandoffStatus.ANSWERED and late.state is ClockStatus.BREACHED
    assert (await _events(hub, desks.ticket_id, K.HANDOFF_ANSWERED))[0].data["late"] is True
    assert (await followup_sweep.sweep(hub)).breaches == 0


async def test_the_answer_endpoint_is_for_the_liaison_and_the_team(hub, clock, desks) -> None:
    handoff = await _handoff(hub, desks)
    with pytest.raises(Forbidden):
        await handoffs.answer(hub, factories.actor(desks.agent), handoff.id, text="我替他们答")
    with pytest.raises(NotFound):
        await handoffs.answer(hub, factories.actor(desks.liaison), uuid.uuid4(), text="?")
    answered = await handoffs.answer(hub, factories.actor(desks.liaison), handoff.id, text="已确认")
    assert answered.status is HandoffStatus.ANSWERED and answered.answered_by_id == desks.liaison.id
    with pytest.raises(Conflict):
        await handoffs.answer(hub, factories.actor(desks.liaison), handoff.id, text="again")
    (note,) = [e for e in await factories.events(hub, desks.ticket_id) if e.kind is K.NOTE]
    assert note.message_id == answered.answer_message_id


async def test_a_friday_evening_handoff_is_due_on_monday_morning(hub, clock, desks) -> None:
    clock.at = sh("2026-03-06T17:00")
    handoff = await _handoff(hub, desks)
    assert local(handoff.due_at) == "2026-03-09T10:00:00"


async def test_listing_handoffs_for_me_and_for_a_ticket(hub, desks) -> None:
    handoff = await _handoff(hub, desks)
    liaison, accountant, agent = (factories.actor(u) for u in (desks.liaison, desks.accountant, desks.agent))
    assert [h.id for h in await handoffs.list_handoffs(hub, liaison, to="me")] == [handoff.id]
    assert [
        h.id for h in await handoffs.list_handoffs(hub, accountant, to="me", status=HandoffStatus.OPEN)
    ] == [handoff.id]
    assert await handoffs.list_handoffs(hub, agent, to="me") == []
    assert [h.id for h in await handoffs.list_handoffs(hub, agent, ticket_id=desks.ticket_id)] == [handoff.id]
    assert (
        await handoffs.list_handoffs(hub, agent, team_id=desks.finance.id, status=HandoffStatus.ANSWERED)
        == []
    )
    with pytest.raises(NotFound):
        await handoffs.list_handoffs(hub, agent, ticket_id=uuid.uuid4())


async def test_two_sweeps_racing_record_each_handoff_alert_once(hub, clock, desks) -> None:
    for i in range(8):
        await _handoff(hub, desks, note=f"第 {i} 件")
    clock.at = sh("2026-03-04T15:00")
    first, second = await asyncio.gather(
        followup_sweep.sweep(hub, batch_size=3), followup_sweep.sweep(hub, batch_size=3)
    )
    assert (first.warnings + second.warnings, first.breaches + second.breaches) == (8, 8)
    assert len(await _events(hub, desks.ticket_id, K.HANDOFF_WARNING, K.HANDOFF_BREACHED)) == 16
