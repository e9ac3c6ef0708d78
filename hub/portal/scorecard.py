"""A partner's scorecard: how it delivers and answers, and how fast the company answers it.

Each measure is a small function over the partner's records (:data:`MEASURES`): on-time delivery,
confirmation lead time, the share of its 8D steps answered late, and how fast the company answered
its date proposals (and how many of them late: the ``2bh`` promise the deadline sweep keeps). A measure with nothing to measure yet is ``None`` (no deliveries received is
not 0 % on time).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions
from hub.actors import Actor
from hub.core import Hub
from hub.errors import NotFound
from hub.models import DateProposal, DeliverySchedule, Organization, PortalOrder, PortalOrderLine
from hub.portal import quality
from hub.portal.states import ProposalStatus, ScheduleStatus


@dataclass(frozen=True)
class Measure:
    #: An i18n code's suffix (``scorecard_on_time_delivery``) and the unit the value is in.
    name: str
    value: float | None
    unit: str
    #: How many records it is measured over.
    count: int


Measurer = Callable[[AsyncSession, uuid.UUID, datetime], Awaitable[Measure]]


async def on_time_delivery(session: AsyncSession, organization_id: uuid.UUID, now: datetime) -> Measure:
    """Received in full by the due date, out of the deliveries received in full or overdue."""
    complete = DeliverySchedule.received_quantity >= DeliverySchedule.quantity
    overdue = sa.and_(~complete, DeliverySchedule.due_date < now.date())
    on_time = sa.and_(
        complete,
        sa.func.date(sa.func.timezone("UTC", DeliverySchedule.received_at)) <= DeliverySchedule.due_date,
    )
    row = (
        await session.execute(
            sa.select(
                sa.func.count().filter(sa.or_(complete, overdue)), sa.func.count().filter(on_time)
            ).where(
                DeliverySchedule.organization_id == organization_id,
                DeliverySchedule.status == ScheduleStatus.OPEN,
            )
        )
    ).one()
    counted, punctual = row
    return Measure("on_time_delivery", round(punctual * 100 / counted, 1) if counted else None, "%", counted)


async def confirmation_lead_time(session: AsyncSession, organization_id: uuid.UUID, now: datetime) -> Measure:
    """Hours from an order's arrival to the partner's confirmation of a line, on average."""
    hours = sa.func.extract("epoch", PortalOrderLine.confirmed_at - PortalOrder.created_at) / 3600
    row = (
        await session.execute(
            sa.select(sa.func.count(), sa.func.avg(hours))
            .select_from(PortalOrderLine)
            .join(PortalOrder, PortalOrder.id == PortalOrderLine.order_id)
            .where(PortalOrder.organization_id == organization_id, PortalOrderLine.confirmed_at.is_not(None))
        )
    ).one()
    count, average = row
    return Measure(
        "confirmation_lead_time", round(float(average), 1) if average is not None else None, "h", count
    )


async def proposal_answer_time(session: AsyncSession, organization_id: uuid.UUID, now: datetime) -> Measure:
    """Hours the company took to decide the partner's date proposals, on average."""
    hours = sa.func.extract("epoch", DateProposal.decided_at - DateProposal.created_at) / 3600
    row = (
        await session.execute(
            sa.select(sa.func.count(), sa.func.avg(hours)).where(
                DateProposal.organization_id == organization_id,
                DateProposal.status.in_([ProposalStatus.ACCEPTED, ProposalStatus.REJECTED]),
            )
        )
    ).one()
    count, average = row
    return Measure(
        "proposal_answer_time", round(float(average), 1) if average is not None else None, "h", count
    )


async def proposals_answered_in_time(
    session: AsyncSession, organization_id: uuid.UUID, now: datetime
) -> Measure:
    """Of the proposals decided, those decided within the ``2bh`` promise."""
    row = (
        await session.execute(
            sa.select(
                sa.func.count(), sa.func.count().filter(DateProposal.decided_at <= DateProposal.due_at)
            ).where(
                DateProposal.organization_id == organization_id,
                DateProposal.status.in_([ProposalStatus.ACCEPTED, ProposalStatus.REJECTED]),
            )
        )
    ).one()
    count, in_time = row
    return Measure(
        "proposals_answered_in_time", round(in_time * 100 / count, 1) if count else None, "%", count
    )


async def late_proposals(session: AsyncSession, organization_id: uuid.UUID, now: datetime) -> Measure:
    """Of the partner's proposals whose answer fell due by now, those the company answered late or
    not at all (superseded and trusted ones were owed no answer)."""
    owed = DateProposal.status.in_(
        [ProposalStatus.PROPOSED, ProposalStatus.ACCEPTED, ProposalStatus.REJECTED]
    )
    late = sa.or_(
        DateProposal.breached_at.is_not(None),
        DateProposal.decided_at > DateProposal.due_at,
        sa.and_(DateProposal.decided_at.is_(None), DateProposal.status == ProposalStatus.PROPOSED),
    )
    row = (
        await session.execute(
            sa.select(sa.func.count(), sa.func.count().filter(late)).where(
                DateProposal.organization_id == organization_id, owed, DateProposal.due_at <= now
            )
        )
    ).one()
    count, lated = row
    return Measure("late_proposals", round(lated * 100 / count, 1) if count else None, "%", count)


async def quality_step_lateness(session: AsyncSession, organization_id: uuid.UUID, now: datetime) -> Measure:
    """Of the partner's 8D steps due by now, those found unanswered past due or answered late."""
    found = await quality.step_lateness(session, organization_id, now)
    return Measure(
        "quality_step_lateness",
        round(found.ratio * 100, 1) if found.ratio is not None else None,
        "%",
        found.due,
    )


MEASURES: list[Measurer] = [
    on_time_delivery,
    confirmation_lead_time,
    quality_step_lateness,
    proposal_answer_time,
    proposals_answered_in_time,
    late_proposals,
]


async def scorecard(hub: Hub, actor: Actor, organization_id: uuid.UUID) -> list[Measure]:
    """Staff only: a partner does not see how the company rates it here."""
    permissions.require_staff(actor)
    now = hub.clock.now()
    async with hub.uow() as uow:
        if await uow.session.get(Organization, organization_id) is None:
            raise NotFound(what="organization")
        return [await measure(uow.session, organization_id, now) for measure in MEASURES]
