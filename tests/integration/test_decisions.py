"""Decisions to the front line: who receives one, the 24-hour read and 3-business-day feedback
promises on China's working calendar (a Friday's decision is answered by Wednesday, across the
weekend), guideline versions, and the lateness the dashboard will ask for."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.decisions import decisions
from hub.domain import Role
from hub.errors import Forbidden, NotFound
from hub.models import DecisionReceipt, Notification
from tests import factories
from tests.integration.sla_setup import local, sh

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


@pytest.fixture
def hub(clocked_hub, clock):
    clock.at = sh("2026-03-06T16:00")  # a Friday afternoon
    return clocked_hub


async def _receipts(hub, decision_id) -> dict:
    async with hub.uow() as uow:
        rows = await uow.session.scalars(
            sa.select(DecisionReceipt).where(DecisionReceipt.decision_id == decision_id)
        )
        return {r.user_id: r for r in rows}


async def test_recipients_due_instants_and_lateness(hub, clock) -> None:
    supervisor = await factories.user(hub, Role.SUPERVISOR)
    team = await factories.team(hub)
    other = await factories.team(hub)
    prompt = await factories.user(hub, Role.AGENT, team_id=team.id)
    slow = await factories.user(hub, Role.AGENT, team_id=team.id)
    silent = await factories.user(hub, Role.AGENT, team_id=team.id)
    outside = await factories.user(hub, Role.AGENT, team_id=other.id)
    partner = await factories.user(hub, Role.PARTNER, organization_id=(await factories.organization(hub)).id)
    with pytest.raises(Forbidden):
        await decisions.publish(hub, factories.actor(prompt), decisions.NewDecision("x", "y"))

    decision = await decisions.publish(
        hub,
        factories.actor(supervisor),
        decisions.NewDecision("大客户投诉一律升级到主管", "即日起执行。", team_ids=(team.id,)),
    )
    receipts = await _receipts(hub, decision.id)
    assert set(receipts) == {prompt.id, slow.id, silent.id}, "the team only; never partners or the publisher"
    assert outside.id not in receipts and partner.id not in receipts
    one = receipts[prompt.id]
    assert local(one.read_due_at) == "2026-03-07T16:00:00", "24 hours, calendar time"
    assert local(one.feedback_due_at) == "2026-03-11T16:00:00", "3 business days: Mon, Tue, Wed"
    async with hub.uow() as uow:
        told = set(
            await uow.session.scalars(
                sa.select(Notification.user_id).where(Notification.kind == "decision_published")
            )
        )
    assert told == {prompt.id, slow.id, silent.id}

    clock.advance(hours=2)
    await decisions.confirm_read(hub, factories.actor(prompt), decision.id)
    await decisions.give_feedback(hub, factories.actor(prompt), decision.id, "收到")
    clock.advance(hours=30)  # Sunday: past the 24 hours
    await decisions.confirm_read(hub, factories.actor(slow), decision.id)
    first = (await _receipts(hub, decision.id))[slow.id].read_at
    await decisions.confirm_read(hub, factories.actor(slow), decision.id)
    assert (await _receipts(hub, decision.id))[slow.id].read_at == first, "the first confirmation counts"
    with pytest.raises(NotFound):
        await decisions.confirm_read(hub, factories.actor(outside), decision.id)

    clock.at = sh("2026-03-12T09:00")  # Thursday: feedback overdue for those who gave none
    async with hub.uow() as uow:
        found = await decisions.lateness(
            uow.session, since=sh("2026-03-01T00:00"), until=sh("2026-04-01T00:00"), now=clock.now()
        )
        for_other_team = await decisions.lateness(
            uow.session,
            since=sh("2026-03-01T00:00"),
            until=sh("2026-04-01T00:00"),
            now=clock.now(),
            team_id=other.id,
        )
        detail = await decisions.detail(
            uow.session, factories.actor(supervisor), decision.id, now=clock.now()
        )
    assert found == decisions.Lateness(
        decisions=1,
        recipients=3,
        read_on_time=1,
        read_late=1,
        unread_overdue=1,
        feedback_on_time=1,
        feedback_late=0,
        feedback_overdue=2,
    )
    assert for_other_team.recipients == 0
    assert detail.tally == decisions.Tally(recipients=3, read=2, answered=1, read_late=2, feedback_late=2)
    assert {r.user_id: r.read_late for r in detail.recipients} == {
        prompt.id: False,
        slow.id: True,
        silent.id: True,
    }


async def test_a_guideline_is_versioned_and_each_version_is_confirmed_again(hub, clock) -> None:
    supervisor = factories.actor(await factories.user(hub, Role.SUPERVISOR))
    agent = await factories.user(hub, Role.AGENT)
    first = await decisions.publish(
        hub, supervisor, decisions.NewDecision("话术指引", "第一版", kind="guideline")
    )
    await decisions.confirm_read(hub, factories.actor(agent), first.id)
    clock.advance(days=90)
    second = await decisions.publish(
        hub,
        supervisor,
        decisions.NewDecision("话术指引", "第二版", kind="guideline", series_id=first.series_id),
    )
    assert (second.series_id, second.version) == (first.series_id, 2)
    async with hub.uow() as uow:
        mine = await decisions.mine(uow.session, agent.id, unread_only=True)
        detail = await decisions.detail(uow.session, factories.actor(agent), first.id, now=clock.now())
    assert [m.decision.id for m in mine] == [second.id]
    assert [v.version for v in detail.versions] == [1, 2] and detail.mine is not None
    (published,) = [
        a for a in await factories.audit_trail(hub, second.id) if a.action == "decision.published"
    ]
    assert published.after is not None and published.after["version"] == 2
