"""Orders in the portal: the partner answers each line, the account manager decides date changes.

A line is confirmed as asked (its requested date and quantity), confirmed with changes, or
rejected with a reason. A change (another date or quantity, at confirmation or later) is a
:class:`~hub.models.DateProposal`: the line keeps its old date, shown with a pending badge, until
the account manager accepts or rejects it, and the manager's answer is due within the internal
liaison promise (``2bh``) on the buyer's calendar. A partner the company marked trusted sees its
change applied at once, and the manager is told (Odoo's own behaviour, for partners who earned it).

The ERP owns item, quantity, price and requested date (:mod:`hub.portal.sync` writes them); the
partner owns what it answered, which no ERP push overwrites.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub import notifications, permissions, scope
from hub.actors import Actor
from hub.core import Hub
from hub.domain import Presence
from hub.errors import Conflict, InvalidInput, NotFound
from hub.models import DateProposal, Organization, PortalOrder, PortalOrderLine, User
from hub.portal.common import buyer_calendar, decode_cursor, encode_cursor, partner_of
from hub.portal.events import PortalChanged
from hub.portal.states import ANSWERABLE, LineStatus, OrderStatus, ProposalStatus
from hub.sla.deadline import Deadline
from hub.sla.defaults import INTERNAL_HANDOFF
from hub.uow import UnitOfWork

MAX_REASON = 500
MAX_PAGE = 200


@dataclass(frozen=True)
class OrderPage:
    items: list[PortalOrder]
    next_cursor: str | None


@dataclass(frozen=True)
class OrderView:
    order: PortalOrder
    lines: list[PortalOrderLine]
    #: The open (undecided) proposal of each line that has one, by line id.
    pending: dict[uuid.UUID, DateProposal] = field(default_factory=dict)


@dataclass(frozen=True)
class LineAnswer:
    line: PortalOrderLine
    proposal: DateProposal | None = None


def delivered_percent(lines: list[PortalOrderLine]) -> float:
    """Received over ordered, of the lines still wanted (a cancelled or rejected line counts not)."""
    wanted = [line for line in lines if line.status not in (LineStatus.CANCELLED, LineStatus.REJECTED)]
    ordered = sum((line.quantity for line in wanted), Decimal(0))
    if not ordered:
        return 0.0
    received = sum((min(line.delivered_quantity, line.quantity) for line in wanted), Decimal(0))
    return round(float(received * 100 / ordered), 1)


async def list_orders(
    hub: Hub,
    actor: Actor,
    *,
    organization_id: uuid.UUID | None = None,
    status: OrderStatus | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> OrderPage:
    """Newest first, through the scope: a partner's own, staff any (``organization_id`` filters)."""
    limit = max(1, min(limit, MAX_PAGE))
    query = scope.select(actor, PortalOrder)
    if organization_id is not None:
        query = query.where(PortalOrder.organization_id == organization_id)
    if status is not None:
        query = query.where(PortalOrder.status == status)
    if cursor:
        at, row_id = decode_cursor("o", cursor)
        query = query.where(sa.tuple_(PortalOrder.created_at, PortalOrder.id) < sa.tuple_(at, row_id))
    query = query.order_by(PortalOrder.created_at.desc(), PortalOrder.id.desc()).limit(limit + 1)
    async with hub.uow() as uow:
        rows = list(await uow.session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return OrderPage(rows, encode_cursor("o", rows[-1].created_at, rows[-1].id) if more and rows else None)


async def lines_of(
    session: AsyncSession, order_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[PortalOrderLine]]:
    found: dict[uuid.UUID, list[PortalOrderLine]] = {order_id: [] for order_id in order_ids}
    rows = await session.scalars(
        sa.select(PortalOrderLine)
        .where(PortalOrderLine.order_id.in_(order_ids))
        .order_by(PortalOrderLine.order_id, PortalOrderLine.line_no)
    )
    for line in rows:
        found[line.order_id].append(line)
    return found


async def order_detail(hub: Hub, actor: Actor, order_id: uuid.UUID) -> OrderView:
    async with hub.uow() as uow:
        order = await scope.one(uow.session, actor, PortalOrder, order_id)
        if order is None:
            raise NotFound(what="order")
        lines = (await lines_of(uow.session, [order.id]))[order.id]
        pending = await uow.session.scalars(
            sa.select(DateProposal).where(
                DateProposal.line_id.in_([line.id for line in lines]),
                DateProposal.status == ProposalStatus.PROPOSED,
            )
        )
        return OrderView(order, lines, {p.line_id: p for p in pending})


async def _answerable_line(
    session: AsyncSession, actor: Actor, order_id: uuid.UUID, line_no: int
) -> tuple[PortalOrder, PortalOrderLine]:
    """The partner's own line, locked; another partner's order is not found, whatever the id."""
    organization_id = partner_of(actor)
    order = await scope.one(session, actor, PortalOrder, order_id, lock=True)
    if order is None or order.organization_id != organization_id:
        raise NotFound(what="order")
    line = await session.scalar(
        sa.select(PortalOrderLine)
        .where(PortalOrderLine.order_id == order.id, PortalOrderLine.line_no == line_no)
        .with_for_update()
    )
    if line is None:
        raise NotFound(what="order line")
    if order.status is not OrderStatus.OPEN or line.status not in ANSWERABLE:
        raise Conflict(detail=f"line {line_no} of order {order.number} can no longer be answered")
    return order, line


def _reason(text: str, *, required: bool) -> str:
    reason = text.strip()
    if required and not reason:
        raise InvalidInput(detail="a reason is needed")
    if len(reason) > MAX_REASON:
        raise InvalidInput(detail=f"the reason has more than {MAX_REASON} characters")
    return reason


def _quantity(value: Decimal | None, line: PortalOrderLine) -> Decimal:
    if value is None:
        return line.quantity
    if not value.is_finite() or value <= 0:
        raise InvalidInput(detail="the quantity must be more than 0")
    return value


async def _managers(session: AsyncSession, organization: Organization) -> list[uuid.UUID]:
    """Who hears of a partner's answer: the account manager, and the backup when the manager is
    away or gone (as routing picks the backup for the client's tickets)."""
    told = []
    manager = (
        await session.get(User, organization.account_manager_id) if organization.account_manager_id else None
    )
    if manager is not None and manager.is_active:
        told.append(manager.id)
    if organization.backup_manager_id and (manager is None or manager.presence is not Presence.AVAILABLE):
        told.append(organization.backup_manager_id)
    return told


def _supersede(line_id: uuid.UUID) -> sa.Update:
    return (
        sa.update(DateProposal)
        .where(DateProposal.line_id == line_id, DateProposal.status == ProposalStatus.PROPOSED)
        .values(status=ProposalStatus.SUPERSEDED)
    )


def _line_state(line: PortalOrderLine) -> dict[str, object]:
    return {
        "status": line.status.value,
        "confirmed_date": line.confirmed_date.isoformat() if line.confirmed_date else None,
        "confirmed_quantity": str(line.confirmed_quantity) if line.confirmed_quantity is not None else None,
    }


async def _propose(
    uow: UnitOfWork,
    actor: Actor,
    order: PortalOrder,
    line: PortalOrderLine,
    *,
    proposed_date: date,
    quantity: Decimal | None,
    reason: str,
) -> DateProposal:
    session, now = uow.session, uow.hub.clock.now()
    organization = await session.get(Organization, order.organization_id)
    assert organization is not None
    calendar = await buyer_calendar(session, organization)
    deadline = Deadline.plan(calendar, now, INTERNAL_HANDOFF, uow.hub.settings.sla_warning_lead_percent / 100)
    due = deadline.due_at
    await session.execute(_supersede(line.id))
    before = _line_state(line)
    proposal = DateProposal(
        id=uuid.uuid4(),
        organization_id=order.organization_id,
        line_id=line.id,
        proposed_by_id=actor.user_id,
        old_date=line.confirmed_date or line.requested_date,
        proposed_date=proposed_date,
        proposed_quantity=quantity,
        reason=reason,
        status=ProposalStatus.PROPOSED,
        due_at=due,
        warn_at=deadline.warn_at,
        next_due_at=deadline.warn_at or due,
        created_at=now,
    )
    trusted = organization.trusted_partner
    if trusted:
        proposal.status = ProposalStatus.APPLIED
        proposal.next_due_at = None
        proposal.decided_at = now
        line.confirmed_date = proposed_date
        line.confirmed_quantity = (
            quantity if quantity is not None else line.confirmed_quantity or line.quantity
        )
        line.confirmed_at = line.confirmed_at or now
        line.status = LineStatus.CONFIRMED
    else:
        line.status = LineStatus.CHANGES_PROPOSED
    line.updated_at = now
    session.add(proposal)
    await session.flush()
    params = {
        "order": order.number,
        "line": line.line_no,
        "partner": organization.name,
        "old_date": proposal.old_date.isoformat() if proposal.old_date else "",
        "new_date": proposed_date.isoformat(),
        "due_at": due.isoformat(),
    }
    kind = "date_proposal_applied" if trusted else "date_proposal"
    notifications.tell(
        uow,
        notifications.rows_for(
            await _managers(session, organization), kind=kind, ticket_id=None, params=params, now=now
        ),
    )
    uow.emit(
        PortalChanged(
            at=now,
            actor=actor,
            action="date_proposal.applied" if trusted else "date_proposal.created",
            subject_id=proposal.id,
            organization_id=order.organization_id,
            before=before,
            after={
                **_line_state(line),
                "proposed_date": proposed_date.isoformat(),
                "order_id": str(order.id),
            },
            reason=reason or None,
        )
    )
    return proposal


async def confirm_line(
    hub: Hub,
    actor: Actor,
    order_id: uuid.UUID,
    line_no: int,
    *,
    confirmed_date: date,
    quantity: Decimal | None = None,
    reason: str = "",
) -> LineAnswer:
    """Confirm as asked; another date or quantity is "accepted with changes": a proposal."""
    async with hub.uow() as uow:
        session, now = uow.session, hub.clock.now()
        order, line = await _answerable_line(session, actor, order_id, line_no)
        wanted = _quantity(quantity, line)
        text = _reason(reason, required=False)
        if confirmed_date != line.requested_date or wanted != line.quantity:
            proposal = await _propose(
                uow, actor, order, line, proposed_date=confirmed_date, quantity=quantity, reason=text
            )
            await uow.commit()
            return LineAnswer(line, proposal)
        before = _line_state(line)
        await session.execute(_supersede(line.id))
        line.confirmed_date, line.confirmed_quantity = confirmed_date, wanted
        line.confirmed_at = line.confirmed_at or now
        line.status, line.updated_at = LineStatus.CONFIRMED, now
        uow.emit(
            PortalChanged(
                at=now,
                actor=actor,
                action="order_line.confirmed",
                subject_id=line.id,
                organization_id=order.organization_id,
                before=before,
                after={**_line_state(line), "order_id": str(order.id), "line": line.line_no},
            )
        )
        await uow.commit()
        return LineAnswer(line)


async def propose_date(
    hub: Hub,
    actor: Actor,
    order_id: uuid.UUID,
    line_no: int,
    *,
    proposed_date: date,
    quantity: Decimal | None = None,
    reason: str = "",
) -> DateProposal:
    """A later change of date (or quantity) on a line, for the account manager to decide."""
    async with hub.uow() as uow:
        order, line = await _answerable_line(uow.session, actor, order_id, line_no)
        if quantity is not None:
            _quantity(quantity, line)
        proposal = await _propose(
            uow,
            actor,
            order,
            line,
            proposed_date=proposed_date,
            quantity=quantity,
            reason=_reason(reason, required=False),
        )
        await uow.commit()
        return proposal


async def reject_line(
    hub: Hub, actor: Actor, order_id: uuid.UUID, line_no: int, *, reason: str
) -> PortalOrderLine:
    async with hub.uow() as uow:
        session, now = uow.session, hub.clock.now()
        order, line = await _answerable_line(session, actor, order_id, line_no)
        text = _reason(reason, required=True)
        before = _line_state(line)
        await session.execute(_supersede(line.id))
        line.status, line.reject_reason, line.updated_at = LineStatus.REJECTED, text, now
        organization = await session.get(Organization, order.organization_id)
        assert organization is not None
        notifications.tell(
            uow,
            notifications.rows_for(
                await _managers(session, organization),
                kind="order_line_rejected",
                ticket_id=None,
                params={
                    "order": order.number,
                    "line": line.line_no,
                    "partner": organization.name,
                    "reason": text,
                },
                now=now,
            ),
        )
        uow.emit(
            PortalChanged(
                at=now,
                actor=actor,
                action="order_line.rejected",
                subject_id=line.id,
                organization_id=order.organization_id,
                before=before,
                after={**_line_state(line), "order_id": str(order.id), "line": line.line_no},
                reason=text,
            )
        )
        await uow.commit()
        return line


async def decide_proposal(
    hub: Hub, actor: Actor, proposal_id: uuid.UUID, *, accept: bool, comment: str = ""
) -> DateProposal:
    """The account manager's answer: accepted, the line takes the date; rejected (with a comment
    the partner reads), the line goes back to what it was confirmed at, or to be answered again."""
    permissions.require_staff(actor)
    text = _reason(comment, required=not accept)
    async with hub.uow() as uow:
        session, now = uow.session, hub.clock.now()
        proposal = await session.get(DateProposal, proposal_id, with_for_update=True)
        if proposal is None:
            raise NotFound(what="date proposal")
        if proposal.status is not ProposalStatus.PROPOSED:
            raise Conflict(detail=f"the proposal is already {proposal.status.value}")
        line = await session.get(PortalOrderLine, proposal.line_id, with_for_update=True)
        assert line is not None
        if line.status not in ANSWERABLE:
            raise Conflict(detail=f"line {line.line_no} is {line.status.value}")
        before = _line_state(line)
        if accept:
            line.confirmed_date = proposal.proposed_date
            if proposal.proposed_quantity is not None:
                line.confirmed_quantity = proposal.proposed_quantity
            line.confirmed_quantity = line.confirmed_quantity or line.quantity
            line.confirmed_at = line.confirmed_at or now
            line.status = LineStatus.CONFIRMED
        elif line.status is LineStatus.CHANGES_PROPOSED:
            line.status = LineStatus.CONFIRMED if line.confirmed_date else LineStatus.OPEN
        line.updated_at = now
        proposal.status = ProposalStatus.ACCEPTED if accept else ProposalStatus.REJECTED
        proposal.decided_by_id, proposal.decided_at, proposal.comment = actor.user_id, now, text or None
        uow.emit(
            PortalChanged(
                at=now,
                actor=actor,
                action="date_proposal.accepted" if accept else "date_proposal.rejected",
                subject_id=proposal.id,
                organization_id=proposal.organization_id,
                before=before,
                after=_line_state(line),
                reason=text or None,
            )
        )
        await uow.commit()
        return proposal


async def list_proposals(
    hub: Hub,
    actor: Actor,
    *,
    status: ProposalStatus | None = ProposalStatus.PROPOSED,
    organization_id: uuid.UUID | None = None,
    managed_by: uuid.UUID | None = None,
    limit: int = 100,
) -> list[tuple[DateProposal, PortalOrderLine, PortalOrder]]:
    """The review queue, due first: staff see all (``managed_by``: the partners one person
    manages or backs up); a partner its own."""
    query = scope.restrict(
        sa.select(DateProposal, PortalOrderLine, PortalOrder)
        .join(PortalOrderLine, PortalOrderLine.id == DateProposal.line_id)
        .join(PortalOrder, PortalOrder.id == PortalOrderLine.order_id),
        actor,
        DateProposal,
    )
    if status is not None:
        query = query.where(DateProposal.status == status)
    if organization_id is not None:
        query = query.where(DateProposal.organization_id == organization_id)
    if managed_by is not None:
        managed = sa.select(Organization.id).where(
            sa.or_(
                Organization.account_manager_id == managed_by, Organization.backup_manager_id == managed_by
            )
        )
        query = query.where(DateProposal.organization_id.in_(managed))
    query = query.order_by(DateProposal.due_at, DateProposal.id).limit(max(1, min(limit, MAX_PAGE)))
    async with hub.uow() as uow:
        return [(p, line, order) for p, line, order in (await uow.session.execute(query)).all()]


async def late_lines(
    session: AsyncSession, actor: Actor, organization_id: uuid.UUID, today: date
) -> list[tuple[PortalOrder, PortalOrderLine]]:
    """Lines whose date (confirmed, else requested) has passed and that are not fully received."""
    due = sa.func.coalesce(PortalOrderLine.confirmed_date, PortalOrderLine.requested_date)
    query = scope.restrict(
        sa.select(PortalOrder, PortalOrderLine)
        .join(PortalOrderLine, PortalOrderLine.order_id == PortalOrder.id)
        .where(
            PortalOrder.organization_id == organization_id,
            PortalOrder.status == OrderStatus.OPEN,
            PortalOrderLine.status.in_([s.value for s in ANSWERABLE]),
            PortalOrderLine.delivered_quantity < PortalOrderLine.quantity,
            due < today,
        )
        .order_by(due, PortalOrder.number, PortalOrderLine.line_no),
        actor,
        PortalOrder,
    )
    return [(order, line) for order, line in (await session.execute(query)).all()]


def due_of(line: PortalOrderLine) -> date:
    return line.confirmed_date or line.requested_date
