"""The unified inbox: views, filters, search and cursor pages over the same ticket view as the API.

``/`` renders the whole page; ``/inbox/rows`` renders only the table rows for the same query, for
the "more" button (next cursor in the ``X-Next-Cursor`` header) and for live refreshes, so every
row the browser shows was rendered, and escaped, by the server.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any

from litestar import Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts import directory
from hub.domain import ACTIVE_STATUSES, ChannelKind, Scenario, TicketStatus
from hub.sla import views as sla_views
from hub.tickets import views as ticket_views
from web.auth.guards import any_user
from web.auth.identity import CurrentUser
from web.pages.context import render
from web.pages.sla_summary import SlaSummary, summarise
from web.pages.widget import demo_chat_channel

PAGE_SIZE = 50
_ACTIVE = sorted(ACTIVE_STATUSES, key=list(TicketStatus).index)
STAFF_VIEWS = {
    "mine": ticket_views.TicketFilter(assignee="me", status=_ACTIVE),
    "unassigned": ticket_views.TicketFilter(assignee="none", status=_ACTIVE),
    "open": ticket_views.TicketFilter(status=_ACTIVE),
    "breached": ticket_views.TicketFilter(status=_ACTIVE, breached=True),
    "callbacks": ticket_views.TicketFilter(status=_ACTIVE, callback=True),
    "all": ticket_views.TicketFilter(),
}
#: Partners have nobody's "mine": their organization's open tickets, or all of them.
PARTNER_VIEWS = {name: STAFF_VIEWS[name] for name in ("open", "all")}
DEFAULT_VIEW = "open"


def _enum(kind: type, raw: str | None) -> Any:
    """A tampered or stale query string falls back to "any" instead of an error page."""
    try:
        return kind(raw) if raw else None
    except ValueError:
        return None


@dataclass(frozen=True)
class InboxQuery:
    view: str
    status: TicketStatus | None
    channel: ChannelKind | None
    scenario: Scenario | None
    q: str

    @classmethod
    def parse(
        cls,
        user: CurrentUser,
        view: str | None,
        status: str | None,
        channel: str | None,
        scenario: str | None,
        q: str | None,
    ) -> InboxQuery:
        views = STAFF_VIEWS if user.is_staff else PARTNER_VIEWS
        return cls(
            view=view if view in views else DEFAULT_VIEW,
            status=_enum(TicketStatus, status),
            channel=_enum(ChannelKind, channel),
            scenario=_enum(Scenario, scenario),
            q=(q or "").strip()[:200],
        )

    def ticket_filter(self) -> ticket_views.TicketFilter:
        base = STAFF_VIEWS[self.view]
        return replace(
            base,
            status=[self.status] if self.status else base.status,
            channel=self.channel,
            scenario=self.scenario,
            q=self.q or None,
        )

    def params(self, **override: str) -> dict[str, str]:
        """The query string that reproduces this list (for links, "more" and live refreshes)."""
        found = {
            "view": self.view,
            "status": self.status.value if self.status else "",
            "channel": self.channel.value if self.channel else "",
            "scenario": self.scenario.value if self.scenario else "",
            "q": self.q,
        }
        found.update(override)
        return {k: v for k, v in found.items() if v}


async def _rows(
    db: AsyncSession, user: CurrentUser, query: InboxQuery, cursor: str | None, limit: int, now: datetime
) -> dict[str, Any]:
    """The page of tickets plus the names the rows show, read through the hub's views."""
    page = await ticket_views.list_tickets(db, user.actor, query.ticket_filter(), cursor=cursor, limit=limit)
    organizations = await directory.organizations_by_id(
        db, user.actor, {t.organization_id for t, _ in page.items}
    )
    people = {u.id: u for u in await directory.list_users(db, user.actor)} if user.is_staff else {}
    slas: dict[uuid.UUID, SlaSummary | None] = {}
    if user.is_staff:
        clocks = await sla_views.clocks_by_ticket(db, user.actor, [t.id for t, _ in page.items])
        slas = {ticket_id: summarise(row, now) for ticket_id, row in clocks.items()}
    return {"page": page, "organizations": organizations, "people": people, "slas": slas}


Limit = Annotated[int, QueryParameter(ge=1, le=ticket_views.MAX_PAGE)]


def inbox_filters(
    request: Request,
    view: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
    channel: FromQuery[str | None] = None,
    scenario: FromQuery[str | None] = None,
    q: FromQuery[str | None] = None,
) -> InboxQuery:
    """The filters of the query string, read alike for the whole page and for more of its rows."""
    return InboxQuery.parse(request.user, view, status, channel, scenario, q)


#: ``query`` is a name Litestar keeps for the raw query string.
_FILTERS = {"filters": Provide(inbox_filters, sync_to_thread=False)}


@get("/", guards=[any_user], name="inbox", dependencies=_FILTERS)
async def inbox_page(
    request: Request, db: NamedDependency[AsyncSession], filters: NamedDependency[InboxQuery]
) -> Template:
    user: CurrentUser = request.user
    rows = await _rows(db, user, filters, None, PAGE_SIZE, request.app.state.hub.clock.now())
    return render(
        request,
        "inbox.html",
        query=filters,
        views=list(STAFF_VIEWS if user.is_staff else PARTNER_VIEWS),
        statuses=list(TicketStatus),
        channels=list(ChannelKind),
        scenarios=list(Scenario),
        # With the demo data loaded, staff find the demo shop page (and its chat) from here.
        widget_demo=user.is_staff and await demo_chat_channel(db) is not None,
        **rows,
    )


@get("/inbox/rows", guards=[any_user], name="inbox-rows", dependencies=_FILTERS)
async def inbox_rows(
    request: Request,
    db: NamedDependency[AsyncSession],
    filters: NamedDependency[InboxQuery],
    cursor: FromQuery[str | None] = None,
    limit: Limit = PAGE_SIZE,
) -> Template:
    user: CurrentUser = request.user
    rows = await _rows(db, user, filters, cursor, limit, request.app.state.hub.clock.now())
    response = render(request, "_inbox_rows.html", query=filters, **rows)
    response.headers["X-Next-Cursor"] = rows["page"].next_cursor or ""
    return response
