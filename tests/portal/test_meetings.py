"""Meeting series, agendas from the partner's open work, minutes published to the partner only, and
decisions that become action items on the partner's one list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from hub.actors import CLI
from hub.domain import Role
from hub.errors import Conflict, Forbidden, InvalidInput, NotFound
from hub.models import ActionItem, Meeting
from hub.portal import action_items, meetings, sync
from hub.portal.terms import ActionItemSource, ActionItemStatus, MeetingKind, MeetingStatus, Side
from tests import factories
from tests.portal import orders as portal_orders
from tests.portal.helpers import case as open_case
from tests.portal.helpers import partner

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


def test_a_monthly_series_keeps_its_day_or_the_months_last() -> None:
    at = datetime(2026, 1, 31, 2, 0, tzinfo=UTC)
    assert meetings.following(MeetingKind.MONTHLY_REVIEW, at) == datetime(2026, 2, 28, 2, 0, tzinfo=UTC)
    assert meetings.following(MeetingKind.MONTHLY_REVIEW, datetime(2026, 12, 15, tzinfo=UTC)).year == 2027
    assert meetings.following(MeetingKind.WEEKLY_SYNC, at) == at + timedelta(days=7)


async def _meetings(hub, organization_id) -> list[Meeting]:
    async with hub.uow() as uow:
        return list(
            await uow.session.scalars(
                sa.select(Meeting)
                .where(Meeting.organization_id == organization_id)
                .order_by(Meeting.scheduled_at)
            )
        )


async def test_the_agenda_minutes_decisions_and_the_next_meeting(clocked_hub, clock) -> None:
    hub = clocked_hub
    who = await partner(hub)
    other = await partner(hub)
    await action_items.create(
        hub,
        who.manager_actor,
        who.organization.id,
        action_items.NewActionItem(title="送样 5 件 Send 5 samples", owner_user_id=who.engineer.id),
    )
    case = await open_case(hub, who)
    order_id, number, _ = await portal_orders.erp_order(hub, who.organization.id, days=-5)
    await portal_orders.erp_order(hub, other.organization.id, days=-5)  # another partner's: not here
    schedule = sync.DeliveryBody(
        order=sync.OrderRef(id=order_id),
        line=1,
        due_date=clock.at.date() - timedelta(days=4),
        quantity=Decimal(60),
        received_quantity=Decimal(20),
        source_updated_at=clock.at,
    )
    async with hub.uow() as uow:
        await sync.upsert(uow, CLI, sync.ENTITIES["deliveries"], "sap", f"dl-{number}", schedule)
        await uow.commit()
    clock.advance(days=3)  # D3 (1bd) is overdue
    series = await meetings.create_series(
        hub,
        who.manager_actor,
        who.organization.id,
        kind=MeetingKind.WEEKLY_SYNC,
        title="周例会 Weekly sync",
        starts_at=clock.at + timedelta(days=1),
    )
    (first,) = await _meetings(hub, who.organization.id)
    assert [a["source"] for a in first.agenda] == [
        "action_item",
        "quality_step",
        "late_delivery",
        "late_delivery",
    ]
    assert first.agenda[1]["ref"] == str(case.id) and "D3" in first.agenda[1]["title"]
    # Line 1 by its late delivery plan (40 of 60 still owed), line 2 by its requested date.
    assert [a["title"].split(" · ")[:2] for a in first.agenda[2:]] == [
        [f"{number} #1", "40 pcs"],
        [f"{number} #2", "50 kg"],
    ]
    assert {a["ref"] for a in first.agenda[2:]} == {str(order_id)}

    with pytest.raises(InvalidInput):  # another partner's person is no attendee of this one
        await meetings.save_minutes(
            hub, who.manager_actor, first.id, minutes="x", attendee_ids=[other.engineer.id]
        )
    with pytest.raises(Forbidden):
        await meetings.save_minutes(hub, who.engineer_actor, first.id, minutes="x")
    await meetings.save_minutes(
        hub,
        who.manager_actor,
        first.id,
        minutes="交期与 8D 进展 Delivery and 8D progress",
        attendee_ids=[who.manager.id, who.engineer.id],
    )
    async with hub.session_factory() as session:
        seen = await meetings.get(session, who.engineer_actor, first.id)
        assert meetings.minutes_for(who.engineer_actor, seen) is None  # a draft
        assert await meetings.attendee_names(session, who.engineer_actor, seen) == [who.engineer.name]
        assert len(await meetings.attendee_names(session, who.manager_actor, seen)) == 2
        with pytest.raises(NotFound):
            await meetings.get(session, other.engineer_actor, first.id)

    due = clock.at + timedelta(days=10)
    with pytest.raises(InvalidInput):
        await meetings.publish(
            hub, who.manager_actor, first.id, [meetings.Decision("x", owner_user_id=other.engineer.id)]
        )
    published = await meetings.publish(
        hub,
        who.manager_actor,
        first.id,
        [
            meetings.Decision(
                "提交 D4 根因 Send the D4 root cause", owner_user_id=who.engineer.id, due_at=due
            ),
            meetings.Decision("Buyer re-checks the drawing", owner_user_id=who.manager.id),
        ],
    )
    assert published.status is MeetingStatus.PUBLISHED
    async with hub.session_factory() as session:
        seen = await meetings.get(session, who.engineer_actor, first.id)
        assert meetings.minutes_for(who.engineer_actor, seen) == "交期与 8D 进展 Delivery and 8D progress"
        items = await action_items.list_items(session, who.engineer_actor)
        assert await action_items.list_items(session, other.engineer_actor) == []
    from_meeting = [i for i in items if i.source is ActionItemSource.MEETING]
    assert {(i.title[:2], i.owner_side) for i in from_meeting} == {("提交", Side.PARTNER), ("Bu", Side.BUYER)}
    with pytest.raises(Conflict):
        await meetings.save_minutes(hub, who.manager_actor, first.id, minutes="rewritten")
    following = await _meetings(hub, who.organization.id)
    assert [m.scheduled_at - first.scheduled_at for m in following] == [timedelta(0), timedelta(days=7)]
    assert sum(a["source"] == "action_item" for a in following[1].agenda) == 3

    # A week passes with no minutes: the worker's tick makes the next one, once.
    clock.advance(days=15)
    assert await meetings.make_due_meetings(hub) == 1
    assert await meetings.make_due_meetings(hub) == 0
    assert len(await _meetings(hub, who.organization.id)) == 3
    assert series.id == following[1].series_id


async def test_the_partner_marks_its_own_items_done_and_never_cancels(hub) -> None:
    who = await partner(hub)
    other = await partner(hub)
    theirs = await action_items.create(
        hub,
        who.manager_actor,
        who.organization.id,
        action_items.NewActionItem(title="Update the control plan", owner_user_id=who.clerk.id),
    )
    ours = await action_items.create(
        hub,
        who.manager_actor,
        who.organization.id,
        action_items.NewActionItem(title="Pay the sample invoice"),
    )
    clerk = factories.actor(who.clerk)
    done = await action_items.set_status(hub, clerk, theirs.id, ActionItemStatus.DONE)
    assert done.status is ActionItemStatus.DONE and done.done_at is not None
    with pytest.raises(Forbidden):
        await action_items.set_status(hub, clerk, theirs.id, ActionItemStatus.CANCELLED)
    with pytest.raises(Forbidden):
        await action_items.set_status(hub, clerk, ours.id, ActionItemStatus.DONE)
    with pytest.raises(NotFound):
        await action_items.set_status(hub, other.engineer_actor, theirs.id, ActionItemStatus.OPEN)
    await action_items.set_status(hub, who.manager_actor, ours.id, ActionItemStatus.CANCELLED)
    assert await factories.count(hub, ActionItem) == 2  # nothing is deleted
    with pytest.raises(InvalidInput):
        await action_items.create(
            hub, CLI, who.organization.id, action_items.NewActionItem(title="x", owner_user_id=other.clerk.id)
        )
    agent = await factories.user(hub, Role.AGENT)
    assert (
        await action_items.create(
            hub, CLI, who.organization.id, action_items.NewActionItem(title="y", owner_user_id=agent.id)
        )
    ).owner_side is Side.BUYER
