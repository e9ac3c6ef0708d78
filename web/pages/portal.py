"""The partner portal's pages (partners) and the company's side of it (staff).

Partners: the home ("waiting on you"), orders with their lines to confirm or propose dates for,
deliveries with shipping notices, and the company's own users for its portal admins. Staff: a
partner organization's orders, late lines and scorecard, and the queue of date proposals to
decide. Every page reads through the same use cases as ``/api/v1/portal/`` (and so through
:mod:`hub.scope`); the forms post to that API with ``portal.js``.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from litestar import Request, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from hub.domain import PortalPermission
from hub.errors import NotFound
from hub.models import Organization
from hub.portal import deliveries, orders, people, schedule_changes, scorecard, waiting
from hub.portal import permissions as portal_permissions
from hub.portal.states import ANSWERABLE, SHIPPABLE, OrderStatus
from web.auth.guards import partners, staff
from web.auth.identity import CurrentUser
from web.pages.context import render


def _user(request: Request) -> CurrentUser:
    user: CurrentUser = request.user
    return user


def _may(user: CurrentUser, permission: PortalPermission) -> bool:
    return portal_permissions.may(user.actor, permission)


@get("/portal", guards=[partners], name="portal-home")
async def portal_home(request: Request) -> Template:
    user = _user(request)
    items = await waiting.waiting_on(request.app.state.hub, user.actor)
    return render(request, "portal/home.html", items=items, section="home")


@get("/portal/orders", guards=[partners], name="portal-orders")
async def portal_orders(request: Request, cursor: FromQuery[str | None] = None) -> Template:
    hub, user = request.app.state.hub, _user(request)
    page = await orders.list_orders(hub, user.actor, cursor=cursor, limit=50)
    async with hub.uow() as uow:
        lines = await orders.lines_of(uow.session, [o.id for o in page.items])
    return render(
        request,
        "portal/orders.html",
        orders=page.items,
        lines=lines,
        percent=orders.delivered_percent,
        next_cursor=page.next_cursor,
        section="orders",
    )


@get("/portal/orders/{order_id:uuid}", guards=[partners], name="portal-order")
async def portal_order(request: Request, order_id: FromPath[uuid.UUID]) -> Template:
    user = _user(request)
    view = await orders.order_detail(request.app.state.hub, user.actor, order_id)
    open_order = view.order.status is OrderStatus.OPEN
    return render(
        request,
        "portal/order.html",
        view=view,
        answerable={line.id for line in view.lines if open_order and line.status in ANSWERABLE},
        prices=_may(user, PortalPermission.PRICES),
        percent=orders.delivered_percent,
        section="orders",
    )


@get("/portal/deliveries", guards=[partners], name="portal-deliveries")
async def portal_deliveries(request: Request) -> Template:
    hub, user = request.app.state.hub, _user(request)
    schedules = await deliveries.list_schedules(hub, user.actor)
    notices = await deliveries.list_notices(hub, user.actor)
    page = await orders.list_orders(hub, user.actor, status=OrderStatus.OPEN, limit=orders.MAX_PAGE)
    async with hub.uow() as uow:
        by_order = await orders.lines_of(uow.session, [o.id for o in page.items])
        changes = await schedule_changes.latest(uow.session, user.actor, [s.id for s, _, _ in schedules])
    shippable = [(o, line) for o in page.items for line in by_order[o.id] if line.status in SHIPPABLE]
    line_names = {
        line.id: f"{o.number} / {line.line_no} {line.item}" for o in page.items for line in by_order[o.id]
    }
    return render(
        request,
        "portal/deliveries.html",
        schedules=schedules,
        changes=changes,
        notices=notices,
        shippable=shippable,
        line_names=line_names,
        may_ship=_may(user, PortalPermission.DELIVERIES),
        section="deliveries",
    )


@get("/portal/users", guards=[partners], name="portal-users")
async def portal_users(request: Request) -> Template:
    user = _user(request)
    found = await people.list_people(request.app.state.hub, user.actor)
    return render(
        request,
        "portal/users.html",
        people=found,
        permissions=[p.value for p in PortalPermission],
        section="users",
    )


@get("/partners/{organization_id:uuid}", guards=[staff], name="partner-page")
async def partner_page(request: Request, organization_id: FromPath[uuid.UUID]) -> Template:
    """A partner as the company sees it: orders, late lines, proposals waiting, the scorecard."""
    hub, user = request.app.state.hub, _user(request)
    async with hub.uow() as uow:
        organization = await uow.session.get(Organization, organization_id)
        if organization is None:
            raise NotFound(what="organization")
        late = await orders.late_lines(uow.session, user.actor, organization_id, hub.clock.now().date())
    page = await orders.list_orders(hub, user.actor, organization_id=organization_id, limit=50)
    async with hub.uow() as uow:
        lines = await orders.lines_of(uow.session, [o.id for o in page.items])
    return render(
        request,
        "partner.html",
        organization=organization,
        orders=page.items,
        lines=lines,
        percent=orders.delivered_percent,
        late=late,
        proposals=await orders.list_proposals(hub, user.actor, organization_id=organization_id),
        schedule_changes=await schedule_changes.open_changes(hub, user.actor, organization_id),
        measures=await scorecard.scorecard(hub, user.actor, organization_id),
    )


@get("/date-proposals", guards=[staff], name="date-proposals")
async def proposals_page(request: Request) -> Template:
    """The account manager's review queue: partners' date proposals, due first."""
    hub, user = request.app.state.hub, _user(request)
    rows = await orders.list_proposals(hub, user.actor)
    async with hub.uow() as uow:
        wanted = {p.organization_id for p, _, _ in rows}
        found = await uow.session.execute(
            sa.select(Organization.id, Organization.name).where(Organization.id.in_(wanted))
        )
        names = dict(found.all())
    return render(request, "proposals.html", rows=rows, names=names, mine=user.id)


PAGES = [
    portal_home,
    portal_orders,
    portal_order,
    portal_deliveries,
    portal_users,
    partner_page,
    proposals_page,
]
