"""The requirement loop: recording from a ticket, transfers, the status machine, the feedback promise."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from hub import notifications
from hub.delivery import delivery
from hub.domain import ChannelKind, Priority, RequirementEventKind, RequirementStatus, Role
from hub.errors import Conflict, Forbidden, InvalidInput, InvalidTransition
from hub.models import Notification, Outbox, Requirement, RequirementEvent, Team, User
from hub.requirements import followup_sweep, requirements, views
from hub.sla.targets import ClockStatus
from hub.tickets import tickets
from tests import factories
from tests.integration.sla_setup import local, sh

pytestmark = [pytest.mark.anyio, pytest.mark.integration]
S, E = RequirementStatus, RequirementEventKind


@dataclass
class Loop:
    manager: User
    agent: User
    engineer: User
    service: Team
    rnd: Team
    ticket_id: uuid.UUID


@pytest.fixture
def hub(clocked_hub, clock):
    clock.at = sh("2026-02-13T15:00")  # Friday before the Spring Festival (Sat 14 Feb is worked)
    return clocked_hub


@pytest.fixture
async def loop(hub) -> Loop:
    service, rnd = await factories.team(hub, "Service"), await factories.team(hub, "R&D")
    manager = await factories.user(hub, Role.AGENT, team_id=service.id)
    agent = await factories.user(hub, Role.AGENT, team_id=service.id)
    engineer = await factories.user(hub, Role.AGENT, team_id=rnd.id)
    await factories.organization(hub, manager=manager.id, domains=["client.cn"])
    mailbox = await factories.channel(hub, ChannelKind.EMAIL, team_id=service.id)
    ticket_id = (
        await factories.inbound(hub, mailbox.id, sender="buyer@client.cn", subject="报表需求")
    ).ticket_id
    return Loop(manager, agent, engineer, service, rnd, ticket_id)


async def _record(hub, loop: Loop, **fields) -> Requirement:
    new = requirements.NewRequirement(**{"content": "月度对账单增加按项目汇总", **fields})
    return await requirements.record(hub, factories.actor(loop.agent), loop.ticket_id, new)


async def _history(hub, requirement_id) -> list[RequirementEvent]:
    async with hub.uow() as uow:
        return (await views.requirement_with_history(uow.session, factories.actor_cli(), requirement_id))[1]


async def _told(hub, kind: str) -> list[uuid.UUID]:
    async with hub.uow() as uow:
        return list(
            await uow.session.scalars(
                sa.select(Notification.user_id)
                .where(Notification.kind == kind)
                .order_by(Notification.user_id)
            )
        )


async def test_recording_starts_a_three_business_day_feedback_clock(hub, loop) -> None:
    requirement = await _record(hub, loop, priority=Priority.HIGH)
    assert requirement.owner_id == loop.agent.id and requirement.team_id == loop.service.id
    assert requirement.status is S.RECORDED and requirement.feedback_state is ClockStatus.ACTIVE
    assert local(requirement.feedback_due_at) == "2026-02-25T15:00:00"  # across the Spring Festival
    assert local(requirement.feedback_warn_at) == "2026-02-25T09:12:00"  # after 80 % of 24 h
    assert requirement.organization_id is not None and requirement.calendar == "cn"
    (recorded,) = await _history(hub, requirement.id)
    assert recorded.kind is E.RECORDED and recorded.actor_user_id == loop.agent.id
    assert recorded.data["content"] == "月度对账单增加按项目汇总" and recorded.data["priority"] == "high"
    assert [a.action for a in await factories.audit_trail(hub, requirement.id)] == ["requirement.recorded"]
    assert await _told(hub, "requirement_recorded") == [loop.manager.id], "the account manager hears of it"

    with pytest.raises(InvalidInput):
        await _record(hub, loop, content="   ")
    partner_org = await factories.organization(hub)
    partner = await factories.user(hub, Role.PARTNER, organization_id=partner_org.id)
    with pytest.raises(Forbidden):
        await requirements.record(
            hub, factories.actor(partner), loop.ticket_id, requirements.NewRequirement("x")
        )


async def test_the_loop_moves_forward_and_refuses_every_other_move(hub, loop) -> None:
    requirement = await _record(hub, loop)
    agent = factories.actor(loop.agent)
    for target in (S.DELIVERED, S.CONFIRMED, S.IN_PROGRESS):
        with pytest.raises(InvalidTransition) as refused:
            await requirements.transition(hub, agent, requirement.id, target)
        assert refused.value.code == "invalid_requirement_transition"
    for target in (S.ACCEPTED, S.IN_PROGRESS, S.DELIVERED):
        await requirements.transition(hub, agent, requirement.id, target)
    with pytest.raises(InvalidInput):
        await requirements.transition(
            hub, agent, requirement.id, S.IN_PROGRESS
        )  # back to work needs a reason
    await requirements.transition(hub, agent, requirement.id, S.IN_PROGRESS, reason="客户说汇总口径不对")
    await requirements.transition(hub, agent, requirement.id, S.DELIVERED)
    done = await requirements.transition(hub, factories.actor(loop.manager), requirement.id, S.CONFIRMED)
    assert done.status is S.CONFIRMED
    for target in S:
        with pytest.raises(InvalidTransition):
            await requirements.transition(hub, agent, requirement.id, target, reason="x")
    moves = [
        (e.data["previous"], e.data["status"], e.reason)
        for e in await _history(hub, requirement.id)
        if e.kind is E.STATUS_CHANGED
    ]
    assert moves == [
        ("recorded", "accepted", None),
        ("accepted", "in_progress", None),
        ("in_progress", "delivered", None),
        ("delivered", "in_progress", "客户说汇总口径不对"),
        ("in_progress", "delivered", None),
        ("delivered", "confirmed", None),
    ]
    audited = [
        a
        for a in await factories.audit_trail(hub, requirement.id)
        if a.action == "requirement.status_changed"
    ]
    assert len(audited) == 6 and audited[-1].actor_user_id == loop.manager.id


async def test_rejecting_or_cancelling_needs_a_reason(hub, loop) -> None:
    agent = factories.actor(loop.agent)
    first, second = await _record(hub, loop), await _record(hub, loop, content="导出 PDF")
    with pytest.raises(InvalidInput):
        await requirements.transition(hub, agent, first.id, S.REJECTED)
    assert (
        await requirements.transition(hub, agent, first.id, S.REJECTED, reason="与合同范围不符")
    ).status is S.REJECTED
    cancelled = await requirements.transition(hub, agent, second.id, S.CANCELLED, reason="客户撤回")
    assert cancelled.feedback_state is ClockStatus.VOID and cancelled.next_due_at is None


async def test_transfers_between_owners_and_departments_are_recorded_and_told(hub, loop) -> None:
    requirement = await _record(hub, loop)
    agent = factories.actor(loop.agent)
    with pytest.raises(InvalidInput):
        await requirements.transfer(hub, agent, requirement.id, reason=" ", owner_id=loop.engineer.id)
    with pytest.raises(InvalidInput):
        await requirements.transfer(hub, agent, requirement.id, reason="no target")
    moved = await requirements.transfer(
        hub, agent, requirement.id, reason="需要研发评估", owner_id=loop.engineer.id, team_id=loop.rnd.id
    )
    assert (moved.owner_id, moved.team_id) == (loop.engineer.id, loop.rnd.id)
    with pytest.raises(Conflict):
        await requirements.transfer(hub, agent, requirement.id, reason="again", owner_id=loop.engineer.id)
    back = await requirements.transfer(
        hub, factories.actor(loop.engineer), requirement.id, reason="评估完成", team_id=loop.service.id
    )
    assert (back.owner_id, back.team_id) == (loop.engineer.id, loop.service.id)
    transfers = [e for e in await _history(hub, requirement.id) if e.kind is E.TRANSFERRED]
    assert [(e.data["from_team_id"], e.data["team_id"], e.reason, e.actor_user_id) for e in transfers] == [
        (str(loop.service.id), str(loop.rnd.id), "需要研发评估", loop.agent.id),
        (str(loop.rnd.id), str(loop.service.id), "评估完成", loop.engineer.id),
    ]
    assert transfers[0].data["from_owner_id"] == str(loop.agent.id)
    assert await _told(hub, "requirement_transferred") == [loop.engineer.id]
    await requirements.transition(hub, agent, requirement.id, S.CANCELLED, reason="客户撤回")
    with pytest.raises(Conflict):
        await requirements.transfer(hub, agent, requirement.id, reason="too late", owner_id=loop.agent.id)


async def test_a_reply_that_never_reached_the_client_is_no_feedback(hub, clock, loop) -> None:
    requirement = await _record(hub, loop)
    clock.at = sh("2026-02-24T10:00")
    reply = await tickets.reply(
        hub, factories.actor(loop.engineer), loop.ticket_id, tickets.Draft(text="已排期，下月上线")
    )
    assert (await factories.get(hub, Requirement, requirement.id)).feedback_state is ClockStatus.MET
    async with hub.uow() as uow:
        outbox_id = await uow.session.scalar(sa.select(Outbox.id).where(Outbox.message_id == reply.id))
    assert outbox_id is not None
    assert await delivery.deliver(hub, outbox_id) == "failed"  # the test mailbox has no address

    owed = await factories.get(hub, Requirement, requirement.id)
    assert owed.feedback_at is None and owed.feedback_state is ClockStatus.ACTIVE
    assert owed.next_due_at == (owed.feedback_warn_at or owed.feedback_due_at)


async def test_a_reply_on_the_ticket_is_the_feedback_in_time(hub, clock, loop) -> None:
    requirement = await _record(hub, loop)
    clock.at = sh("2026-02-24T10:00")
    await tickets.note(
        hub, factories.actor(loop.agent), loop.ticket_id, tickets.Draft(text="内部：研发已排期")
    )
    assert (await factories.get(hub, Requirement, requirement.id)).feedback_at is None, (
        "a note is not feedback"
    )
    await tickets.reply(
        hub, factories.actor(loop.engineer), loop.ticket_id, tickets.Draft(text="已排期，下月上线")
    )
    met = await factories.get(hub, Requirement, requirement.id)
    assert met.feedback_state is ClockStatus.MET and local(met.feedback_at) == "2026-02-24T10:00:00"
    assert met.next_due_at is None
    given = [e for e in await _history(hub, requirement.id) if e.kind is E.FEEDBACK_GIVEN]
    assert [(e.data["via"], e.data["late"], e.actor_user_id) for e in given] == [
        ("reply", False, loop.engineer.id)
    ]
    clock.at = sh("2026-03-10T10:00")
    assert (await followup_sweep.sweep(hub)).requirements == 0


async def test_no_feedback_warns_the_owner_then_breaches_to_the_account_manager(hub, clock, loop) -> None:
    requirement = await _record(hub, loop)
    clock.at = sh("2026-02-25T09:30")
    result = await followup_sweep.sweep(hub)
    assert (result.requirements, result.warnings, result.breaches) == (1, 1, 0)
    assert await _told(hub, "requirement_feedback_warning") == [loop.agent.id]
    clock.at = sh("2026-02-25T15:01")
    result = await followup_sweep.sweep(hub)
    assert (result.warnings, result.breaches) == (0, 1)
    assert await _told(hub, "requirement_feedback_breached") == sorted([loop.agent.id, loop.manager.id])
    breached = await factories.get(hub, Requirement, requirement.id)
    assert breached.feedback_state is ClockStatus.BREACHED and breached.next_due_at is None
    async with hub.uow() as uow:
        row = await uow.session.scalar(
            sa.select(Notification).where(Notification.kind == "requirement_feedback_breached")
        )
    assert notifications.render(row, "zh-CN", "Asia/Shanghai") == (
        "工单 #10001：需求“月度对账单增加按项目汇总”应于 2026-02-25 15:00 前反馈客户，现已超时。"
    )
    assert notifications.render(row, "en", "Europe/Berlin") == (
        "Ticket #10001: feedback to the client on “月度对账单增加按项目汇总” was due at 2026-02-25 08:00 and is overdue."
    )

    clock.at = sh("2026-02-26T10:00")
    late = await requirements.give_feedback(
        hub, factories.actor(loop.manager), requirement.id, note="电话告知：下月上线"
    )
    assert late.feedback_state is ClockStatus.BREACHED and late.feedback_at is not None
    with pytest.raises(Conflict):
        await requirements.give_feedback(hub, factories.actor(loop.manager), requirement.id, note="again")
    assert (await followup_sweep.sweep(hub)).breaches == 0
    kinds = [e.kind for e in await _history(hub, requirement.id)]
    assert kinds == [E.RECORDED, E.FEEDBACK_WARNING, E.FEEDBACK_BREACHED, E.FEEDBACK_GIVEN]


async def test_feedback_given_late_before_any_sweep_is_recorded_as_breached_but_tells_nobody(
    hub, clock, loop
) -> None:
    requirement = await _record(hub, loop)
    clock.at = sh("2026-02-26T10:00")
    await tickets.reply(hub, factories.actor(loop.agent), loop.ticket_id, tickets.Draft(text="抱歉回复晚了"))
    result = await followup_sweep.sweep(hub)
    assert (result.warnings, result.breaches, result.notified) == (0, 1, 0)
    assert (await factories.get(hub, Requirement, requirement.id)).feedback_state is ClockStatus.BREACHED


async def test_two_sweeps_racing_record_each_alert_once(hub, clock, loop) -> None:
    ids = [(await _record(hub, loop, content=f"需求 {i}")).id for i in range(10)]
    clock.at = sh("2026-02-26T10:00")
    first, second = await asyncio.gather(
        followup_sweep.sweep(hub, batch_size=3), followup_sweep.sweep(hub, batch_size=3)
    )
    assert first.breaches + second.breaches == len(ids)
    assert first.warnings + second.warnings == len(ids)
    async with hub.uow() as uow:
        count = await uow.session.scalar(
            sa.select(sa.func.count())
            .select_from(RequirementEvent)
            .where(RequirementEvent.dedupe_key.is_not(None))
        )
        await uow.session.execute(sa.update(Requirement).values(next_due_at=sh("2026-02-14T10:00")))
        await uow.commit()
    assert count == 2 * len(ids)
    assert (await followup_sweep.sweep(hub)).breaches == 0, "a rewound row cannot record twice"


async def test_lists_for_the_owner_the_account_manager_the_client_and_the_department(
    hub, loop, clock
) -> None:
    mine = await _record(hub, loop)
    clock.advance(minutes=1)  # the newest first: on a clock standing still the order would be a coin toss
    theirs = await requirements.record(
        hub,
        factories.actor(loop.engineer),
        loop.ticket_id,
        requirements.NewRequirement("接口限流", team_id=loop.rnd.id),
    )
    other_org = await factories.organization(hub, domains=["other.cn"])
    async with hub.uow() as uow:
        session, agent = uow.session, factories.actor(loop.agent)

        async def ids(**f) -> list[uuid.UUID]:
            return [r.id for r in await views.list_requirements(session, agent, views.RequirementFilter(**f))]

        assert await ids(owner="me") == [mine.id]
        assert await ids(owner=str(loop.engineer.id)) == [theirs.id]
        assert await ids(manager=str(loop.manager.id)) == [theirs.id, mine.id]
        assert await ids(manager="me") == []
        assert await ids(organization_id=mine.organization_id) == [theirs.id, mine.id]
        assert await ids(organization_id=other_org.id) == []
        assert await ids(team_id=loop.rnd.id) == [theirs.id]
        assert await ids(ticket_id=loop.ticket_id, status=[S.RECORDED]) == [theirs.id, mine.id]
        assert await ids(status=[S.ACCEPTED]) == []
        with pytest.raises(InvalidInput):
            await ids(owner="nobody")
