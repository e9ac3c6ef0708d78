"""The company's side of the portal (staff): a partner's orders and late lines, the account
manager's queue of date proposals to decide, and the partner's scorecard."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from hub.commands import says_something
from hub.core import Hub
from hub.portal import orders, schedule_changes, scorecard
from hub.portal.states import ProposalStatus
from web.api.portal import LineOut, OrderItem, OrderPageOut, ProposalOut, ScheduleChangeOut
from web.auth.guards import BEARER, staff
from web.auth.identity import CurrentUser


class QueueItem(msgspec.Struct):
    proposal: ProposalOut
    organization_id: uuid.UUID
    order_id: uuid.UUID
    order_number: str
    line: int
    item: str


class AcceptIn(msgspec.Struct, forbid_unknown_fields=True, tag_field="decision", tag="accept"):
    """The line takes the proposed date (and quantity)."""

    comment: Annotated[str, msgspec.Meta(max_length=orders.MAX_REASON)] = ""


class RejectDecisionIn(msgspec.Struct, forbid_unknown_fields=True, tag_field="decision", tag="reject"):
    """The line keeps its date; the comment tells the partner why."""

    comment: Annotated[str, says_something(orders.MAX_REASON)]


class LateLine(msgspec.Struct):
    order_id: uuid.UUID
    order_number: str
    line: LineOut
    due_date: date


class MeasureOut(msgspec.Struct):
    name: str
    value: float | None
    unit: str
    count: int


class PartnerOrdersController(Controller):
    path = "/api/v1"
    security = BEARER
    tags = ["partner orders"]
    guards = [staff]

    @get("/organizations/{organization_id:uuid}/orders")
    async def organization_orders(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        organization_id: FromPath[uuid.UUID],
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=orders.MAX_PAGE)] = 50,
    ) -> OrderPageOut:
        user: CurrentUser = request.user
        page = await orders.list_orders(
            hub, user.actor, organization_id=organization_id, cursor=cursor, limit=limit
        )
        return OrderPageOut(items=[OrderItem.of(o) for o in page.items], next_cursor=page.next_cursor)

    @get("/organizations/{organization_id:uuid}/late-lines")
    async def late_lines(
        self, request: Request, hub: NamedDependency[Hub], organization_id: FromPath[uuid.UUID]
    ) -> list[LateLine]:
        """Open lines whose date (confirmed, else requested) has passed and are not fully received."""
        user: CurrentUser = request.user
        async with hub.uow() as uow:
            rows = await orders.late_lines(uow.session, user.actor, organization_id, hub.clock.now().date())
        return [
            LateLine(
                order_id=o.id,
                order_number=o.number,
                line=LineOut.of(line, user.actor),
                due_date=orders.due_of(line),
            )
            for o, line in rows
        ]

    @get("/organizations/{organization_id:uuid}/scorecard")
    async def scorecard(
        self, request: Request, hub: NamedDependency[Hub], organization_id: FromPath[uuid.UUID]
    ) -> list[MeasureOut]:
        """On-time delivery, confirmation lead time and how fast the company answers the partner."""
        user: CurrentUser = request.user
        found = await scorecard.scorecard(hub, user.actor, organization_id)
        return [MeasureOut(name=m.name, value=m.value, unit=m.unit, count=m.count) for m in found]

    @get("/date-proposals")
    async def queue(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        status: FromQuery[ProposalStatus | None] = ProposalStatus.PROPOSED,
        mine: Annotated[bool, QueryParameter(description="only partners you manage or back up")] = False,
        organization: FromQuery[uuid.UUID | None] = None,
    ) -> list[QueueItem]:
        """The review queue of partners' date proposals, due first."""
        user: CurrentUser = request.user
        rows = await orders.list_proposals(
            hub, user.actor, status=status, organization_id=organization, managed_by=user.id if mine else None
        )
        return [
            QueueItem(
                proposal=ProposalOut.of(p),
                organization_id=p.organization_id,
                order_id=o.id,
                order_number=o.number,
                line=line.line_no,
                item=line.item,
            )
            for p, line, o in rows
        ]

    @post("/delivery-changes/{change_id:uuid}/decision", status_code=200)
    async def decide_schedule_change(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        change_id: FromPath[uuid.UUID],
        data: JSONBody[AcceptIn | RejectDecisionIn],
    ) -> ScheduleChangeOut:
        """Agree to a partner's change to a delivery, or reject it with a comment the partner reads;
        the ERP's date and quantity stay until it sends new ones."""
        user: CurrentUser = request.user
        change = await schedule_changes.decide(
            hub, user.actor, change_id, accept=isinstance(data, AcceptIn), comment=data.comment
        )
        return ScheduleChangeOut.of(change)

    @post("/date-proposals/{proposal_id:uuid}/decision", status_code=200)
    async def decide(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        proposal_id: FromPath[uuid.UUID],
        data: JSONBody[AcceptIn | RejectDecisionIn],
    ) -> ProposalOut:
        """Accept (the line takes the date) or reject with a comment the partner reads."""
        user: CurrentUser = request.user
        proposal = await orders.decide_proposal(
            hub, user.actor, proposal_id, accept=isinstance(data, AcceptIn), comment=data.comment
        )
        return ProposalOut.of(proposal)
