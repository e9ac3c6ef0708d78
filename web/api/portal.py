"""The partner portal's API, for partners' own systems: everything the portal pages do.

Partner logins only. Every read goes through :mod:`hub.scope`; every write takes the partner from
the login, never from the body, so another partner's order, line or notice is "not found".
Prices are shown only to a user with the ``prices`` permission.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import msgspec
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from hub.actors import Actor
from hub.commands import says_something
from hub.core import Hub
from hub.domain import PortalPermission
from hub.models import (
    DateProposal,
    PortalOrder,
    PortalOrderLine,
    ScheduleChange,
    ShippingNotice,
    ShippingNoticeLine,
    User,
)
from hub.portal import deliveries, orders, people, schedule_changes, waiting
from hub.portal import permissions as portal_permissions
from hub.portal.common import number
from hub.portal.states import OrderStatus
from web.auth.guards import BEARER, partners
from web.auth.identity import CurrentUser


class ProposalOut(msgspec.Struct):
    id: uuid.UUID
    line_id: uuid.UUID
    old_date: date | None
    proposed_date: date
    proposed_quantity: float | None
    reason: str
    #: proposed, accepted, rejected, superseded or applied (a trusted partner's)
    status: str
    #: The account manager's answer is due then (2 business hours, the buyer's calendar).
    due_at: datetime
    #: When the deadline sweep found it past ``due_at`` undecided, or decided late.
    breached_at: datetime | None
    decided_at: datetime | None
    comment: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: DateProposal) -> ProposalOut:
        return cls(
            id=row.id,
            line_id=row.line_id,
            old_date=row.old_date,
            proposed_date=row.proposed_date,
            proposed_quantity=number(row.proposed_quantity),
            reason=row.reason,
            status=row.status.value,
            due_at=row.due_at,
            breached_at=row.breached_at,
            decided_at=row.decided_at,
            comment=row.comment,
            created_at=row.created_at,
        )


class LineOut(msgspec.Struct):
    id: uuid.UUID
    line: int
    item: str
    description: str
    quantity: float
    unit: str
    #: Null unless the reader has the ``prices`` permission.
    unit_price: str | None
    requested_date: date
    confirmed_date: date | None
    confirmed_quantity: float | None
    #: open, confirmed, changes_proposed, rejected or cancelled
    status: str
    delivered_quantity: float
    delivered_percent: float
    #: The change waiting for the account manager, if any.
    pending_proposal: ProposalOut | None

    @classmethod
    def of(cls, row: PortalOrderLine, viewer: Actor, pending: DateProposal | None = None) -> LineOut:
        prices = portal_permissions.may(viewer, PortalPermission.PRICES)
        return cls(
            id=row.id,
            line=row.line_no,
            item=row.item,
            description=row.description,
            quantity=float(row.quantity),
            unit=row.unit,
            unit_price=str(row.unit_price) if prices and row.unit_price is not None else None,
            requested_date=row.requested_date,
            confirmed_date=row.confirmed_date,
            confirmed_quantity=number(row.confirmed_quantity),
            status=row.status.value,
            delivered_quantity=float(row.delivered_quantity),
            delivered_percent=orders.delivered_percent([row]),
            pending_proposal=ProposalOut.of(pending) if pending else None,
        )


class OrderItem(msgspec.Struct):
    id: uuid.UUID
    organization_id: uuid.UUID
    number: str
    #: The ERP's: open, closed or cancelled.
    status: str
    currency: str | None
    revision: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: PortalOrder) -> OrderItem:
        return cls(
            id=row.id,
            organization_id=row.organization_id,
            number=row.number,
            status=row.status.value,
            currency=row.currency,
            revision=row.revision,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class OrderPageOut(msgspec.Struct):
    items: list[OrderItem]
    next_cursor: str | None


class OrderOut(msgspec.Struct):
    id: uuid.UUID
    organization_id: uuid.UUID
    number: str
    status: str
    currency: str | None
    revision: int
    delivered_percent: float
    lines: list[LineOut]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: orders.OrderView, viewer: Actor) -> OrderOut:
        order = view.order
        return cls(
            id=order.id,
            organization_id=order.organization_id,
            number=order.number,
            status=order.status.value,
            currency=order.currency,
            revision=order.revision,
            delivered_percent=orders.delivered_percent(view.lines),
            lines=[LineOut.of(line, viewer, view.pending.get(line.id)) for line in view.lines],
            created_at=order.created_at,
            updated_at=order.updated_at,
        )


#: A quantity in a request: a JSON number above 0 (kept exact: read as the decimal it spells).
Quantity = Annotated[float, msgspec.Meta(gt=0, le=1e12)]


def exact(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


class ConfirmIn(msgspec.Struct, forbid_unknown_fields=True):
    """The requested date and quantity confirm the line; another date or quantity proposes it."""

    confirmed_date: date
    quantity: Quantity | None = None
    reason: Annotated[str, msgspec.Meta(max_length=orders.MAX_REASON)] = ""


class RejectIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, says_something(orders.MAX_REASON)]


class ProposalIn(msgspec.Struct, forbid_unknown_fields=True):
    proposed_date: date
    quantity: Quantity | None = None
    reason: Annotated[str, msgspec.Meta(max_length=orders.MAX_REASON)] = ""


class AnswerOut(msgspec.Struct):
    line: LineOut
    #: Set when the answer changed the date or quantity: the proposal it made.
    proposal: ProposalOut | None


class NoticeLineOut(msgspec.Struct):
    line_id: uuid.UUID
    quantity: float


class NoticeOut(msgspec.Struct):
    #: The notice's own id (its first version's), the same across its versions.
    id: uuid.UUID
    version_id: uuid.UUID
    version: int
    number: str
    #: submitted, superseded (an older version) or cancelled
    status: str
    ship_date: date
    eta: date | None
    carrier: str
    tracking_no: str
    lines: list[NoticeLineOut]
    created_at: datetime

    @classmethod
    def of(cls, row: ShippingNotice, lines: list[ShippingNoticeLine]) -> NoticeOut:
        return cls(
            id=row.root_id,
            version_id=row.id,
            version=row.version,
            number=row.number,
            status=row.status.value,
            ship_date=row.ship_date,
            eta=row.eta,
            carrier=row.carrier,
            tracking_no=row.tracking_no,
            lines=[NoticeLineOut(line_id=x.line_id, quantity=float(x.quantity)) for x in lines],
            created_at=row.created_at,
        )


class NoticeDetailOut(msgspec.Struct):
    current: NoticeOut
    #: Every version, newest first (the current one included).
    versions: list[NoticeOut]


class NoticeIn(deliveries.NewNotice):
    """A shipping notice: its lines are the partner's own open order lines."""


class CancelIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


class ScheduleChangeOut(msgspec.Struct):
    """One version of the partner's change to a delivery schedule line."""

    id: uuid.UUID
    schedule_id: uuid.UUID
    version: int
    #: The ERP's date and quantity when the change was made, and the ones proposed.
    old_due_date: date
    old_quantity: float
    due_date: date
    quantity: float
    reason: str
    #: proposed, accepted, rejected or superseded (a newer version took its place)
    status: str
    decided_at: datetime | None
    comment: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: ScheduleChange) -> ScheduleChangeOut:
        return cls(
            id=row.id,
            schedule_id=row.schedule_id,
            version=row.version,
            old_due_date=row.old_due_date,
            old_quantity=float(row.old_quantity),
            due_date=row.due_date,
            quantity=float(row.quantity),
            reason=row.reason,
            status=row.status.value,
            decided_at=row.decided_at,
            comment=row.comment,
            created_at=row.created_at,
        )


class ScheduleChangeIn(schedule_changes.NewChange, frozen=True, forbid_unknown_fields=True):
    pass


class ScheduleOut(msgspec.Struct):
    id: uuid.UUID
    order_id: uuid.UUID
    order_number: str
    line: int
    item: str
    unit: str
    #: The ERP's (it owns them): a change the partner proposes is ``change``, beside them.
    due_date: date
    quantity: float
    received_quantity: float
    #: The newest version of the partner's change to this delivery, if any.
    change: ScheduleChangeOut | None = None


class WaitingOut(msgspec.Struct):
    kind: str
    ref_id: uuid.UUID
    link: str
    params: dict[str, str]
    due_at: datetime | None
    due_date: date | None


class PersonOut(msgspec.Struct):
    id: uuid.UUID
    email: str
    name: str
    permissions: list[str]
    is_active: bool
    totp_enabled: bool

    @classmethod
    def of(cls, row: User) -> PersonOut:
        return cls(
            id=row.id,
            email=row.email,
            name=row.name,
            permissions=list(row.portal_permissions),
            is_active=row.is_active,
            totp_enabled=row.totp_enabled,
        )


class InvitedOut(msgspec.Struct):
    user: PersonOut
    #: Shown once: the invited person signs in with it.
    one_time_password: str


class InvitationIn(people.Invitation):
    """A new user of your company, with the portal permissions you give them."""


class PermissionsIn(people.PermissionChange):
    """The user's portal permissions, all of them."""


def _actor(request: Request) -> Actor:
    user: CurrentUser = request.user
    return user.actor


class PortalController(Controller):
    path = "/api/v1/portal"
    security = BEARER
    tags = ["portal"]
    guards = [partners]

    @get("/waiting")
    async def waiting(self, request: Request, hub: NamedDependency[Hub]) -> list[WaitingOut]:
        """What waits on your company, soonest due first (due times in the buyer's calendar)."""
        items = await waiting.waiting_on(hub, _actor(request))
        return [
            WaitingOut(
                kind=i.kind,
                ref_id=i.ref_id,
                link=i.link,
                params=i.params,
                due_at=i.due_at,
                due_date=i.due_date,
            )
            for i in items
        ]

    @get("/orders")
    async def list_orders(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        status: FromQuery[OrderStatus | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=orders.MAX_PAGE)] = 50,
    ) -> OrderPageOut:
        """Your orders, newest first; ``next_cursor`` gives the next page."""
        page = await orders.list_orders(hub, _actor(request), status=status, cursor=cursor, limit=limit)
        return OrderPageOut(items=[OrderItem.of(o) for o in page.items], next_cursor=page.next_cursor)

    @get("/orders/{order_id:uuid}")
    async def read_order(
        self, request: Request, hub: NamedDependency[Hub], order_id: FromPath[uuid.UUID]
    ) -> OrderOut:
        actor = _actor(request)
        return OrderOut.of(await orders.order_detail(hub, actor, order_id), actor)

    @post("/orders/{order_id:uuid}/lines/{line:int}/confirm", status_code=200)
    async def confirm(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        order_id: FromPath[uuid.UUID],
        line: FromPath[int],
        data: JSONBody[ConfirmIn],
    ) -> AnswerOut:
        """Confirm a line; another date or quantity than asked makes a proposal for the account manager."""
        actor = _actor(request)
        answer = await orders.confirm_line(
            hub,
            actor,
            order_id,
            line,
            confirmed_date=data.confirmed_date,
            quantity=exact(data.quantity),
            reason=data.reason,
        )
        return AnswerOut(
            line=LineOut.of(answer.line, actor),
            proposal=ProposalOut.of(answer.proposal) if answer.proposal else None,
        )

    @post("/orders/{order_id:uuid}/lines/{line:int}/reject", status_code=200)
    async def reject(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        order_id: FromPath[uuid.UUID],
        line: FromPath[int],
        data: JSONBody[RejectIn],
    ) -> LineOut:
        actor = _actor(request)
        return LineOut.of(await orders.reject_line(hub, actor, order_id, line, reason=data.reason), actor)

    @post("/orders/{order_id:uuid}/lines/{line:int}/proposals")
    async def propose(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        order_id: FromPath[uuid.UUID],
        line: FromPath[int],
        data: JSONBody[ProposalIn],
    ) -> ProposalOut:
        """Propose another date (and quantity) for a line: the account manager decides within 2 business hours."""
        proposal = await orders.propose_date(
            hub,
            _actor(request),
            order_id,
            line,
            proposed_date=data.proposed_date,
            quantity=exact(data.quantity),
            reason=data.reason,
        )
        return ProposalOut.of(proposal)

    @get("/deliveries")
    async def list_deliveries(
        self, request: Request, hub: NamedDependency[Hub], until: FromQuery[date | None] = None
    ) -> list[ScheduleOut]:
        """The buyer's delivery schedules for your open lines, soonest first."""
        actor = _actor(request)
        rows = await deliveries.list_schedules(hub, actor, until=until)
        async with hub.session_factory() as session:
            changes = await schedule_changes.latest(session, actor, [s.id for s, _, _ in rows])
        return [
            ScheduleOut(
                id=s.id,
                order_id=o.id,
                order_number=o.number,
                line=line.line_no,
                item=line.item,
                unit=line.unit,
                due_date=s.due_date,
                quantity=float(s.quantity),
                received_quantity=float(s.received_quantity),
                change=ScheduleChangeOut.of(changes[s.id]) if s.id in changes else None,
            )
            for s, line, o in rows
        ]

    @post("/deliveries/{schedule_id:uuid}/changes")
    async def propose_schedule_change(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        schedule_id: FromPath[uuid.UUID],
        data: JSONBody[ScheduleChangeIn],
    ) -> ScheduleChangeOut:
        """Propose another date or quantity for a delivery (needs the ``deliveries`` permission): a
        new version, the one before kept; the ERP's date and quantity stay until it sends new ones."""
        return ScheduleChangeOut.of(await schedule_changes.propose(hub, _actor(request), schedule_id, data))

    @get("/deliveries/{schedule_id:uuid}/changes")
    async def schedule_change_versions(
        self, request: Request, hub: NamedDependency[Hub], schedule_id: FromPath[uuid.UUID]
    ) -> list[ScheduleChangeOut]:
        """Every version of your changes to a delivery, newest first."""
        return [
            ScheduleChangeOut.of(c)
            for c in await schedule_changes.versions(hub, _actor(request), schedule_id)
        ]

    @get("/shipping-notices")
    async def list_notices(self, request: Request, hub: NamedDependency[Hub]) -> list[NoticeOut]:
        return [NoticeOut.of(n, lines) for n, lines in await deliveries.list_notices(hub, _actor(request))]

    @post("/shipping-notices")
    async def submit_notice(
        self, request: Request, hub: NamedDependency[Hub], data: JSONBody[NoticeIn]
    ) -> NoticeOut:
        """Announce a shipment against your open lines (needs the ``deliveries`` permission)."""
        notice = await deliveries.submit_notice(hub, _actor(request), data)
        return NoticeOut.of(notice, await _lines(hub, _actor(request), notice.id))

    @get("/shipping-notices/{notice_id:uuid}")
    async def read_notice(
        self, request: Request, hub: NamedDependency[Hub], notice_id: FromPath[uuid.UUID]
    ) -> NoticeDetailOut:
        view = await deliveries.notice_detail(hub, _actor(request), notice_id)
        versions = [NoticeOut.of(n, lines) for n, lines in view.versions]
        return NoticeDetailOut(current=versions[0], versions=versions)

    @put("/shipping-notices/{notice_id:uuid}")
    async def revise_notice(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        notice_id: FromPath[uuid.UUID],
        data: JSONBody[NoticeIn],
    ) -> NoticeDetailOut:
        """An edit after submission: a new version, the old one kept."""
        actor = _actor(request)
        await deliveries.revise_notice(hub, actor, notice_id, data)
        view = await deliveries.notice_detail(hub, actor, notice_id)
        versions = [NoticeOut.of(n, lines) for n, lines in view.versions]
        return NoticeDetailOut(current=versions[0], versions=versions)

    @post("/shipping-notices/{notice_id:uuid}/cancel", status_code=200)
    async def cancel_notice(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        notice_id: FromPath[uuid.UUID],
        data: JSONBody[CancelIn],
    ) -> NoticeOut:
        actor = _actor(request)
        notice = await deliveries.cancel_notice(hub, actor, notice_id, reason=data.reason)
        return NoticeOut.of(notice, await _lines(hub, actor, notice.id))

    @get("/users")
    async def list_people(self, request: Request, hub: NamedDependency[Hub]) -> list[PersonOut]:
        """Your company's portal users (needs the ``admin`` permission)."""
        return [PersonOut.of(u) for u in await people.list_people(hub, _actor(request))]

    @post("/users")
    async def invite(
        self, request: Request, hub: NamedDependency[Hub], data: JSONBody[InvitationIn]
    ) -> InvitedOut:
        user, password = await people.invite(hub, _actor(request), data)
        return InvitedOut(user=PersonOut.of(user), one_time_password=password)

    @patch("/users/{user_id:uuid}")
    async def set_permissions(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        user_id: FromPath[uuid.UUID],
        data: JSONBody[PermissionsIn],
    ) -> PersonOut:
        return PersonOut.of(await people.set_permissions(hub, _actor(request), user_id, data))

    @delete("/users/{user_id:uuid}", status_code=200)
    async def remove(
        self, request: Request, hub: NamedDependency[Hub], user_id: FromPath[uuid.UUID]
    ) -> PersonOut:
        """Remove a user of your company: deactivated, their history kept."""
        return PersonOut.of(await people.remove(hub, _actor(request), user_id))


async def _lines(hub: Hub, actor: Actor, notice_id: uuid.UUID) -> list[ShippingNoticeLine]:
    view = await deliveries.notice_detail(hub, actor, notice_id)
    return next(lines for n, lines in view.versions if n.id == notice_id)
