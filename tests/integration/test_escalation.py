"""The complaint escalation ladder against the real database, on a manual clock and the cn calendar."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from hub import notifications
from hub.accounts import teams, users
from hub.actors import CLI
from hub.domain import ChannelKind, Presence, Role, Scenario, TicketEventKind, TicketStatus
from hub.errors import Conflict, Forbidden, InvalidInput
from hub.models import AuditEvent, Notification, Ticket, TicketEvent, User
from hub.sla.sweep import sweep
from hub.tickets import escalation, tickets
from tests import factories
from tests.integration.sla_setup import clocks, local, sh

pytestmark = [pytest.mark.anyio, pytest.mark.integration]
K = TicketEventKind


@dataclass
class Ladder:
    agent: User
    lead: User
    head: User
    boss: User
    supervisor: User
    mailbox_id: uuid.UUID


@pytest.fixture
def hub(clocked_hub, clock):
    clock.at = sh("2026-02-13T15:00")  # a Friday afternoon; Sat 14 Feb is a make-up workday
    return clocked_hub


@pytest.fixture
async def ladder(hub) -> Ladder:
    team = await factories.team(hub)
    agent = await factories.user(hub, Role.AGENT, team_id=team.id)
    lead = await factories.user(hub, Role.SUPERVISOR, team_id=team.id, presence=Presence.AWAY)
    head = await factories.user(hub, Role.SUPERVISOR, presence=Presence.AWAY)
    boss = await factories.user(hub, Role.ADMIN, presence=Presence.AWAY)
    supervisor = await factories.user(hub, Role.SUPERVISOR, presence=Presence.AWAY)
    await users.update_user(hub, CLI, boss.id, users.UserChanges(is_management=True))
    await teams.update_team(hub, CLI, team.id, teams.TeamChanges(lead_id=lead.id, head_id=head.id))
    mailbox = await factories.channel(hub, ChannelKind.EMAIL, team_id=team.id)
    return Ladder(agent, lead, head, boss, supervisor, mailbox.id)


async def _complaint(hub, ladder: Ladder, sender: str = "angry@client.example") -> uuid.UUID:
    ticket_id = (
        await factories.inbound(hub, ladder.mailbox_id, sender=sender, text="投诉：货到破损")
    ).ticket_id
    await tickets.set_scenario(hub, factories.actor(ladder.agent), ticket_id, Scenario.COMPLAINT)
    return ticket_id


async def _ladder_events(hub, ticket_id: uuid.UUID | None = None) -> list[TicketEvent]:
    return await factories.events_of_kind(hub, [K.ESCALATED, K.DEESCALATED], ticket_id)


async def _told(hub) -> list[tuple[uuid.UUID, int]]:
    async with hub.uow() as uow:
        rows = await uow.session.execute(
            sa.select(Notification.user_id, Notification.params["level"].as_integer())
            .where(Notification.kind == "escalated")
            .order_by(Notification.created_at, Notification.user_id)
        )
        return [tuple(r) for r in rows]


async def _level(hub, ticket_id) -> int:
    return (await factories.get(hub, Ticket, ticket_id)).escalation_level


async def test_a_complaint_climbs_each_level_on_time_across_the_spring_festival(hub, clock, ladder) -> None:
    ticket_id = await _complaint(hub, ladder)
    assert local((await clocks(hub, ticket_id)).escalation_due_at) == "2026-02-14T15:00:00"

    clock.at = sh("2026-02-14T14:59")
    assert (await sweep(hub)).escalations == 0
    clock.at = sh("2026-02-14T15:00:30")
    assert (await sweep(hub)).escalations == 1
    assert await _level(hub, ticket_id) == 1
    (first,) = await _ladder_events(hub, ticket_id)
    assert first.dedupe_key == "escalation:1:1" and first.actor_user_id is None
    assert first.data == {
        "level": 1,
        "previous": 0,
        "cycle": 1,
        "automatic": True,
        "after": "1bd",
        "reason": None,
    }
    assert sorted(await _told(hub)) == sorted([(ladder.agent.id, 1), (ladder.lead.id, 1)])
    assert local((await clocks(hub, ticket_id)).escalation_due_at) == "2026-02-25T15:00:00"

    clock.at = sh("2026-02-20T10:00")  # inside the holiday: nothing moves
    assert (await sweep(hub)).escalations == 0
    clock.at = sh("2026-02-25T15:00:30")
    assert (await sweep(hub)).escalations == 1
    assert await _level(hub, ticket_id) == 2
    assert local((await clocks(hub, ticket_id)).escalation_due_at) == "2026-02-27T15:00:00"
    clock.at = sh("2026-02-27T15:00:30")
    assert (await sweep(hub)).escalations == 1
    assert await _level(hub, ticket_id) == 3
    assert (await clocks(hub, ticket_id)).escalation_due_at is None
    told = await _told(hub)
    assert (ladder.head.id, 2) in told and (ladder.boss.id, 3) in told
    assert len(told) == 6, "each level: its people and the assignee, once"

    clock.at = sh("2026-03-02T10:00")
    await tickets.set_status(hub, factories.actor(ladder.agent), ticket_id, TicketStatus.RESOLVED)
    assert await _level(hub, ticket_id) == 0
    events = await _ladder_events(hub, ticket_id)
    assert [(e.kind, e.data["level"]) for e in events] == [
        (K.ESCALATED, 1),
        (K.ESCALATED, 2),
        (K.ESCALATED, 3),
        (K.DEESCALATED, 0),
    ]
    assert events[-1].data["previous"] == 3 and events[-1].actor_user_id == ladder.agent.id
    actions = [a.action for a in await factories.audit_trail(hub, ticket_id) if "escalated" in a.action]
    assert actions == ["ticket.escalated"] * 3 + ["ticket.deescalated"]
    clock.advance(days=30)
    assert (await sweep(hub)).escalations == 0


async def test_the_notification_reads_in_chinese_and_english(hub, clock, ladder) -> None:
    await _complaint(hub, ladder)
    clock.at = sh("2026-02-14T16:00")
    await sweep(hub)
    async with hub.uow() as uow:
        row = await uow.session.scalar(
            sa.select(Notification).where(
                Notification.kind == "escalated", Notification.user_id == ladder.lead.id
            )
        )
    assert notifications.render(row, "zh-CN", "Asia/Shanghai") == (
        "工单 #10001（投诉：货到破损）已升级至第 1 级（组长）：1 个工作日仍未解决。"
    )
    assert notifications.render(row, "en", "Asia/Shanghai") == (
        "Ticket #10001 (投诉：货到破损) is escalated to level 1, team lead: unresolved after 1 working day."
    )


async def test_a_reopened_complaint_climbs_again_from_the_reopen(hub, clock, ladder) -> None:
    ticket_id = await _complaint(hub, ladder)
    agent = factories.actor(ladder.agent)
    clock.at = sh("2026-02-14T16:00")
    await sweep(hub)
    await tickets.set_status(hub, agent, ticket_id, TicketStatus.RESOLVED)
    clock.at = sh("2026-02-24T09:00")
    await tickets.set_status(hub, agent, ticket_id, TicketStatus.OPEN)
    assert local((await clocks(hub, ticket_id)).escalation_due_at) == "2026-02-24T18:00:00"
    clock.at = sh("2026-02-24T18:00:01")
    assert (await sweep(hub)).escalations == 1
    assert [e.dedupe_key for e in await _ladder_events(hub, ticket_id)] == [
        "escalation:1:1",
        None,  # de-escalated on resolve
        "escalation:2:1",
    ]


async def test_other_scenarios_never_climb_on_their_own(hub, clock, ladder) -> None:
    ticket_id = (await factories.inbound(hub, ladder.mailbox_id, sender="calm@client.example")).ticket_id
    assert (await clocks(hub, ticket_id)).escalation_due_at is None
    clock.advance(days=30)
    assert (await sweep(hub)).escalations == 0
    assert await _level(hub, ticket_id) == 0


async def test_two_sweeps_racing_climb_each_level_exactly_once(hub, clock, ladder) -> None:
    ids = [await _complaint(hub, ladder, sender=f"c{i}@client.example") for i in range(12)]
    clock.at = sh("2026-02-25T16:00")  # levels 1 and 2 are both due
    first, second = await asyncio.gather(sweep(hub, batch_size=3), sweep(hub, batch_size=3))
    assert first.escalations + second.escalations == 2 * len(ids)
    events = await _ladder_events(hub)
    assert sorted((e.ticket_id, e.data["level"]) for e in events) == sorted(
        (t, level) for t in ids for level in (1, 2)
    )
    assert {await _level(hub, t) for t in ids} == {2}
    assert len(await _told(hub)) == 2 * 2 * len(ids), "level people and assignee, once per level"

    # Even a clock row rewound to "due" (a stale reader) cannot record a level twice.
    async with hub.uow() as uow:
        await uow.session.execute(
            sa.text("UPDATE ticket_sla SET next_due_at = :at"), {"at": sh("2026-02-14T15:00")}
        )
        await uow.commit()
    assert (await sweep(hub)).escalations == 0
    assert len(await _ladder_events(hub)) == 2 * len(ids)


async def test_supervisors_escalate_by_hand_and_agents_cannot(hub, clock, ladder) -> None:
    ticket_id = (await factories.inbound(hub, ladder.mailbox_id, sender="vip@client.example")).ticket_id
    with pytest.raises(Forbidden):
        await escalation.escalate(hub, factories.actor(ladder.agent), ticket_id, reason="客户很生气")
    supervisor = factories.actor(ladder.supervisor)
    with pytest.raises(InvalidInput):
        await escalation.escalate(hub, supervisor, ticket_id, reason="  ")
    with pytest.raises(InvalidInput):
        await escalation.escalate(hub, supervisor, ticket_id, reason="x", level=4)

    ticket = await escalation.escalate(hub, supervisor, ticket_id, reason="客户威胁投诉到总部")
    assert ticket.escalation_level == 1
    ticket = await escalation.escalate(hub, supervisor, ticket_id, reason="重大事故", level=3)
    assert ticket.escalation_level == 3
    with pytest.raises(Conflict):
        await escalation.escalate(hub, supervisor, ticket_id, reason="again")
    with pytest.raises(Conflict):
        await escalation.escalate(hub, supervisor, ticket_id, reason="lower", level=2)

    events = await _ladder_events(hub, ticket_id)
    assert [(e.data["level"], e.data["automatic"], e.data["reason"]) for e in events] == [
        (1, False, "客户威胁投诉到总部"),
        (3, False, "重大事故"),
    ]
    assert {e.actor_user_id for e in events} == {ladder.supervisor.id}
    async with hub.uow() as uow:
        audit = await uow.session.scalar(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "ticket.escalated")
            .order_by(AuditEvent.id.desc())
        )
    assert audit.before == {"escalation_level": 1} and audit.after == {"escalation_level": 3}
    assert (ladder.boss.id, 3) in await _told(hub)

    await tickets.set_status(hub, factories.actor(ladder.agent), ticket_id, TicketStatus.CLOSED)
    with pytest.raises(Conflict):
        await escalation.escalate(hub, supervisor, ticket_id, reason="closed")


async def test_a_manual_level_is_not_climbed_again_and_the_ladder_goes_on_above_it(
    hub, clock, ladder
) -> None:
    ticket_id = await _complaint(hub, ladder)
    await escalation.escalate(hub, factories.actor(ladder.supervisor), ticket_id, reason="VIP", level=2)
    assert local((await clocks(hub, ticket_id)).escalation_due_at) == "2026-02-27T15:00:00"
    clock.at = sh("2026-02-27T15:01")
    assert (await sweep(hub)).escalations == 1
    assert [e.data["level"] for e in await _ladder_events(hub, ticket_id)] == [2, 3]


async def test_without_a_named_lead_head_or_management_the_fallbacks_hear_of_it(hub, clock) -> None:
    team = await factories.team(hub)
    supervisor = await factories.user(hub, Role.SUPERVISOR, team_id=team.id)
    admin = await factories.user(hub, Role.ADMIN)
    async with hub.uow() as uow:
        assert await escalation.people_for(uow.session, team.id, 1) == [supervisor.id]
        assert await escalation.people_for(uow.session, team.id, 2) == [supervisor.id]
        assert await escalation.people_for(uow.session, team.id, 3) == [admin.id]
        assert await escalation.people_for(uow.session, None, 1) == []
