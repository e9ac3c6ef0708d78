"""The partner's home, "waiting on you": what the partner owes, each with its due time.

Built from a list of small sources (:data:`SOURCES`), each a query through the scope that returns
plain items: orders to confirm, date proposals answered, deliveries due, quality steps due, action
items and unread replies. The home page, ``GET /api/v1/portal/waiting`` and the quality page's
block all show :func:`waiting_on`'s one list; another kind of item is one more function.

Due times are the buyer's: an order is to be confirmed within :data:`CONFIRMATION_PROMISE` of its
arrival, counted in the buyer's business calendar (the account manager's team's, else ``cn``); a
quality step is due as its case planned it in the buyer's business time, an action item when the
meeting's decision said. Unread replies owe nothing by a time, so they come last.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub import scope
from hub.actors import Actor
from hub.calendars.durations import parse_duration
from hub.core import Hub
from hub.models import DateProposal, DeliverySchedule, Organization, PortalOrder, PortalOrderLine
from hub.portal import action_items, messages, quality
from hub.portal.common import buyer_calendar
from hub.portal.states import LineStatus, OrderStatus, ProposalStatus, ScheduleStatus
from hub.sla.deadline import Deadline

#: How long a partner has to confirm a new order's lines, in the buyer's business time.
CONFIRMATION_PROMISE = parse_duration("2bd")
#: Answered proposals and coming deliveries shown for this long.
HORIZON = timedelta(days=14)


@dataclass(frozen=True)
class WaitingItem:
    #: What it is (an i18n code's suffix: ``waiting_order_to_confirm``...).
    kind: str
    #: The record's id and the portal page that shows it.
    ref_id: uuid.UUID
    link: str
    #: Words for the item's line (order number, line...), filled into the catalogue's text.
    params: dict[str, str] = field(default_factory=dict)
    due_at: datetime | None = None
    due_date: date | None = None


Source = Callable[[AsyncSession, Actor, datetime], Awaitable[list[WaitingItem]]]


async def orders_to_confirm(session: AsyncSession, actor: Actor, now: datetime) -> list[WaitingItem]:
    """Open orders with lines the partner has not answered, due ``2bd`` after they arrived."""
    rows = await session.execute(
        scope.restrict(
            sa.select(PortalOrder, sa.func.count(PortalOrderLine.id))
            .join(PortalOrderLine, PortalOrderLine.order_id == PortalOrder.id)
            .where(PortalOrder.status == OrderStatus.OPEN, PortalOrderLine.status == LineStatus.OPEN)
            .group_by(PortalOrder.id)
            .order_by(PortalOrder.created_at),
            actor,
            PortalOrder,
        )
    )
    found = []
    calendars = {}
    for order, count in rows:
        if order.organization_id not in calendars:
            organization = await session.get(Organization, order.organization_id)
            assert organization is not None
            calendars[order.organization_id] = await buyer_calendar(session, organization)
        due = Deadline.plan(
            calendars[order.organization_id], order.created_at, CONFIRMATION_PROMISE, 0
        ).due_at
        found.append(
            WaitingItem(
                kind="order_to_confirm",
                ref_id=order.id,
                link=f"/portal/orders/{order.id}",
                params={"order": order.number, "lines": str(count)},
                due_at=due,
            )
        )
    return found


async def proposals_answered(session: AsyncSession, actor: Actor, now: datetime) -> list[WaitingItem]:
    """Date proposals the account manager decided lately: a rejected one needs a new answer."""
    rows = await session.execute(
        scope.restrict(
            sa.select(DateProposal, PortalOrderLine, PortalOrder)
            .join(PortalOrderLine, PortalOrderLine.id == DateProposal.line_id)
            .join(PortalOrder, PortalOrder.id == PortalOrderLine.order_id)
            .where(
                DateProposal.status.in_([ProposalStatus.ACCEPTED, ProposalStatus.REJECTED]),
                DateProposal.decided_at >= now - HORIZON,
            )
            .order_by(DateProposal.decided_at.desc()),
            actor,
            DateProposal,
        )
    )
    return [
        WaitingItem(
            kind=f"proposal_{proposal.status.value}",
            ref_id=proposal.id,
            link=f"/portal/orders/{order.id}",
            params={
                "order": order.number,
                "line": str(line.line_no),
                "date": proposal.proposed_date.isoformat(),
                "comment": proposal.comment or "",
            },
            due_at=proposal.decided_at,
        )
        for proposal, line, order in rows
    ]


async def deliveries_due(session: AsyncSession, actor: Actor, now: datetime) -> list[WaitingItem]:
    """Scheduled deliveries due in the next two weeks (or late) and not fully received."""
    rows = await session.execute(
        scope.restrict(
            sa.select(DeliverySchedule, PortalOrderLine, PortalOrder)
            .join(PortalOrderLine, PortalOrderLine.id == DeliverySchedule.line_id)
            .join(PortalOrder, PortalOrder.id == PortalOrderLine.order_id)
            .where(
                DeliverySchedule.status == ScheduleStatus.OPEN,
                DeliverySchedule.received_quantity < DeliverySchedule.quantity,
                DeliverySchedule.due_date <= (now + HORIZON).date(),
                PortalOrder.status == OrderStatus.OPEN,
            )
            .order_by(DeliverySchedule.due_date),
            actor,
            DeliverySchedule,
        )
    )
    return [
        WaitingItem(
            kind="delivery_late" if schedule.due_date < now.date() else "delivery_due",
            ref_id=schedule.id,
            link="/portal/deliveries",
            params={
                "order": order.number,
                "line": str(line.line_no),
                "quantity": f"{schedule.quantity - schedule.received_quantity:g}",
                "unit": line.unit,
            },
            due_date=schedule.due_date,
        )
        for schedule, line, order in rows
    ]


async def quality_steps_due(session: AsyncSession, actor: Actor, now: datetime) -> list[WaitingItem]:
    """8D steps the partner owes on open cases (open, or returned by the buyer)."""
    return [
        WaitingItem(
            kind="quality_step",
            ref_id=case.id,
            link=f"/portal/quality/{case.id}",
            params={"case": case.number, "title": case.title, "discipline": step.discipline.value},
            due_at=step.due_at,
        )
        for case, step in await quality.steps_waiting(session, actor)
    ]


async def action_items_due(session: AsyncSession, actor: Actor, now: datetime) -> list[WaitingItem]:
    """The partner's own open action items, due soon or overdue."""
    return [
        WaitingItem(
            kind="action_item",
            ref_id=item.id,
            link="/portal/action-items",
            params={"title": item.title},
            due_at=item.due_at,
        )
        for item in await action_items.items_waiting(session, actor, now)
    ]


async def unread_messages(session: AsyncSession, actor: Actor, now: datetime) -> list[WaitingItem]:
    """Each conversation where the company replied after the partner's last message."""
    return [
        WaitingItem(
            kind="messages",
            ref_id=conversation.ticket_id,
            link="/portal/messages",
            params={"count": str(conversation.unread), "subject": conversation.subject},
        )
        for conversation in await messages.conversations(session, actor, limit=500)
        if conversation.unread
    ]


#: Each source of the home's list, in the order equal due times are shown.
SOURCES: list[Source] = [
    orders_to_confirm,
    proposals_answered,
    deliveries_due,
    quality_steps_due,
    action_items_due,
    unread_messages,
]


def _sort_key(item: WaitingItem) -> tuple[int, datetime]:
    """Soonest due first (a due date as the start of its day in UTC); undated items last."""
    if item.due_at is not None:
        return (0, item.due_at)
    if item.due_date is not None:
        return (0, datetime.combine(item.due_date, time(), UTC))
    return (1, datetime.min.replace(tzinfo=UTC))


async def waiting_on(hub: Hub, actor: Actor) -> list[WaitingItem]:
    """Everything the sources find, soonest due first."""
    now = hub.clock.now()
    async with hub.uow() as uow:
        items = [item for source in SOURCES for item in await source(uow.session, actor, now)]
    return sorted(items, key=_sort_key)
