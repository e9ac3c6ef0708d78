"""The unified inbox: views, filters, search and cursor pages over the same ticket view as the API.

``/`` renders the whole page; ``/inbox/rows`` renders only the table rows for the same query, for
the "more" button (next cursor in the ``X-Next-Cursor`` header) and for live refreshes, so every
row the browser shows was rendered, and escaped, by the server.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any

from litestar import Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from hub import batch_read
from hub.accounts import directory
from hub.domain import ACTIVE_STATUSES, ChannelKind, Priority, Scenario, TicketStatus
from hub.sla import views as sla_views
from hub.tickets import saved_views
from hub.tickets import views as ticket_views
from web.auth.guards import any_user
from web.auth.identity import CurrentUser
from web.pages.context import render
from web.pages.sla_summary import summarise
from web.pages.widget import demo_chat_channels

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
#: Staff see the SLA: their day is sorted by the earliest due target, then the longest wait.
STAFF_SORT = "due"
#: Partners see neither the clocks nor who handles a ticket: newest first, and no sort by those.
PARTNER_SORTS = ticket_views.SORTS - {"due", "-due", "assignee", "-assignee"}
SLA_STATES = ("breached", "at_risk", "on_track")
#: The filters a saved view keeps besides the view, status, channel, scenario and search.
FIELDS = ("priority", "assignee", "team", "organization", "organization_name", "tag", "sla", "sort")
#: An organisation filter by a name no organisation has: no ticket matches it.
NO_ORGANIZATION = uuid.UUID(int=0)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _id(raw: str | None) -> uuid.UUID | None:
    return uuid.UUID(raw) if raw and _UUID.match(raw) else None


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
    priority: Priority | None = None
    #: ``me``, ``none`` or a user id (staff only).
    assignee: str = ""
    team: uuid.UUID | None = None
    organization: uuid.UUID | None = None
    #: A typed organisation name that matched none (``organization`` is then ``NO_ORGANIZATION``),
    #: kept so that links and "more" list the same nothing and the field still shows it.
    organization_name: str = ""
    tag: str = ""
    sla: str = ""
    sort: str = ticket_views.NEWEST_FIRST
    #: The saved view these filters came from, if any (its id).
    saved: str = ""

    @classmethod
    def parse(
        cls,
        user: CurrentUser,
        view: str | None,
        status: str | None,
        channel: str | None,
        scenario: str | None,
        q: str | None,
        **more: str | None,
    ) -> InboxQuery:
        views = STAFF_VIEWS if user.is_staff else PARTNER_VIEWS
        staff = user.is_staff
        sorts = ticket_views.SORTS if staff else PARTNER_SORTS
        assignee = more.get("assignee") or ""
        sort = more.get("sort") or ""
        unmatched = (more.get("organization_name") or "").strip()[:200] if staff else ""
        return cls(
            view=view if view in views else DEFAULT_VIEW,
            status=_enum(TicketStatus, status),
            channel=_enum(ChannelKind, channel),
            scenario=_enum(Scenario, scenario),
            q=(q or "").strip()[:200],
            priority=_enum(Priority, more.get("priority")),
            assignee=assignee if staff and (assignee in ("me", "none") or _id(assignee)) else "",
            team=_id(more.get("team")) if staff else None,
            organization=NO_ORGANIZATION if unmatched else _id(more.get("organization")),
            organization_name=unmatched,
            tag=(more.get("tag") or "").strip().lower()[:64],
            sla=(more.get("sla") or "") if staff and more.get("sla") in SLA_STATES else "",
            sort=sort if sort in sorts else (STAFF_SORT if staff else ticket_views.NEWEST_FIRST),
            saved=more.get("saved") or "",
        )

    def ticket_filter(self) -> ticket_views.TicketFilter:
        base = STAFF_VIEWS[self.view]
        return replace(
            base,
            status=[self.status] if self.status else base.status,
            channel=self.channel,
            scenario=self.scenario,
            q=self.q or None,
            priority=self.priority,
            assignee=self.assignee or base.assignee,
            team_id=self.team,
            organization_id=self.organization,
            tag=self.tag or None,
            sla=self.sla or None,
        )

    def params(self, **override: str) -> dict[str, str]:
        """The query string that reproduces this list (for links, "more" and live refreshes)."""
        found = {
            "view": self.view,
            "status": self.status.value if self.status else "",
            "channel": self.channel.value if self.channel else "",
            "scenario": self.scenario.value if self.scenario else "",
            "priority": self.priority.value if self.priority else "",
            "assignee": self.assignee,
            "team": str(self.team or ""),
            "organization": "" if self.organization_name else str(self.organization or ""),
            "organization_name": self.organization_name,
            "tag": self.tag,
            "sla": self.sla,
            "q": self.q,
            "sort": self.sort,
            "saved": self.saved,
        }
        found.update(override)
        return {k: v for k, v in found.items() if v}

    def sorted_by(self, key: str) -> dict[str, str]:
        """The query string of this list sorted by ``key``; the current key again reverses it."""
        if self.sort == key:
            return self.params(sort="-" + key)
        return self.params(sort=key)

    def sort_state(self, key: str) -> str:
        """``aria-sort`` of a column: ascending, descending or none."""
        if self.sort == key:
            return "ascending"
        return "descending" if self.sort == "-" + key else "none"


async def _rows(
    db: AsyncSession,
    user: CurrentUser,
    query: InboxQuery,
    cursor: str | None,
    limit: int,
    now: datetime,
    *more: batch_read.Wanted[Any],
) -> tuple[dict[str, Any], list[list[Any]]]:
    """The page of tickets plus the names and clocks the rows show (and the organisation filtered
    by), read through the hub's views: the list, then everything beside it in one statement with
    the ``more`` lists the caller wants (their records come back second)."""
    page = await ticket_views.list_tickets(
        db, user.actor, query.ticket_filter(), cursor=cursor, limit=limit, sort=query.sort
    )
    ids = {t.organization_id for t, _ in page.items} | {query.organization}
    beside: list[batch_read.Wanted[Any]] = [directory.organization_names(user.actor, ids)]
    if user.is_staff:
        clocks = sla_views.clock_rows(user.actor, [t.id for t, _ in page.items])
        beside += [directory.people_names(user.actor), clocks]
    found = await batch_read.read(db, *beside, *more)
    organizations = {o.id: o for o in found[0]}
    people = {u.id: u for u in found[1]} if user.is_staff else {}
    slas = {row.ticket_id: summarise(row, now) for row in found[2]} if user.is_staff else {}
    rows = {"page": page, "organizations": organizations, "people": people, "slas": slas}
    return rows, found[len(beside) :]


Limit = Annotated[int, QueryParameter(ge=1, le=ticket_views.MAX_PAGE)]


async def inbox_filters(
    request: Request,
    db: NamedDependency[AsyncSession],
    view: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
    channel: FromQuery[str | None] = None,
    scenario: FromQuery[str | None] = None,
    q: FromQuery[str | None] = None,
    priority: FromQuery[str | None] = None,
    assignee: FromQuery[str | None] = None,
    team: FromQuery[str | None] = None,
    organization: FromQuery[str | None] = None,
    organization_name: FromQuery[str | None] = None,
    tag: FromQuery[str | None] = None,
    sla: FromQuery[str | None] = None,
    sort: FromQuery[str | None] = None,
    saved: FromQuery[str | None] = None,
) -> InboxQuery:
    """The filters of the query string, read alike for the whole page and for more of its rows; a
    saved view's id (``saved``) stands for the filters it keeps.

    The organisation comes by id from links, or by the name typed in the filter form
    (``organization_name``, which wins when sent): the form offers names as the agent types
    (``typeahead.js``) rather than listing every organisation on every page."""
    user: CurrentUser = request.user
    if organization_name is not None and user.is_staff:
        typed = organization_name.strip()[:200]
        found = await directory.organization_named(db, user.actor, typed) if typed else None
        organization, organization_name = (str(found.id), None) if found else (None, typed)
    fields = {
        "priority": priority,
        "assignee": assignee,
        "team": team,
        "organization": organization,
        "organization_name": organization_name,
        "tag": tag,
        "sla": sla,
        "sort": sort,
    }
    saved_id = _id(saved)
    if saved_id is not None and user.is_staff:
        kept = dict((await saved_views.one(db, user.actor, saved_id)).filters)
        view, status, channel, scenario, q = (
            kept.pop(k, None) for k in ("view", "status", "channel", "scenario", "q")
        )
        fields = {k: kept.get(k) for k in FIELDS}
        fields["saved"] = str(saved_id)
    return InboxQuery.parse(user, view, status, channel, scenario, q, **fields)


def _organization_label(query: InboxQuery, organizations: dict[uuid.UUID, Any]) -> str:
    """What the organisation field shows: the name filtered by, or the name typed that matched none."""
    if query.organization_name:
        return query.organization_name
    found = organizations.get(query.organization) if query.organization else None
    return str(found.name) if found is not None else ""


#: ``query`` is a name Litestar keeps for the raw query string.
_FILTERS = {"filters": Provide(inbox_filters)}


@get("/", guards=[any_user], name="inbox", dependencies=_FILTERS)
async def inbox_page(
    request: Request, db: NamedDependency[AsyncSession], filters: NamedDependency[InboxQuery]
) -> Template:
    user: CurrentUser = request.user
    staff = user.is_staff
    # The filters' choices and the saved views, read with the rows' names in one statement; with
    # the demo data loaded, staff find the demo shop page (and its chat) from here.
    choices = [directory.team_names(user.actor), demo_chat_channels()] if staff else []
    now = request.app.state.hub.clock.now()
    rows, found = await _rows(
        db, user, filters, None, PAGE_SIZE, now, saved_views.visible_names(user.actor), *choices
    )
    saved, teams, demo = found if staff else [*found, [], []]
    return render(
        request,
        "inbox.html",
        query=filters,
        views=list(STAFF_VIEWS if staff else PARTNER_VIEWS),
        saved=saved,
        statuses=list(TicketStatus),
        channels=list(ChannelKind),
        scenarios=list(Scenario),
        priorities=list(Priority),
        sla_states=SLA_STATES if staff else (),
        teams=teams,
        organization_label=_organization_label(filters, rows["organizations"]),
        widget_demo=bool(demo),
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
    rows, _ = await _rows(db, user, filters, cursor, limit, request.app.state.hub.clock.now())
    response = render(request, "_inbox_rows.html", query=filters, **rows)
    response.headers["X-Next-Cursor"] = rows["page"].next_cursor or ""
    return response


@get("/inbox/counts", guards=[any_user], name="inbox-counts")
async def inbox_counts(request: Request, db: NamedDependency[AsyncSession]) -> dict[str, int | None]:
    """Each view's ticket count (up to ``COUNT_CAP``; none for a saved search), keyed as the page's
    ``data-count-for`` attributes: the script asks again whenever a live update moved a ticket."""
    user: CurrentUser = request.user
    lists = dict(STAFF_VIEWS if user.is_staff else PARTNER_VIEWS)
    for row in await saved_views.visible(db, user.actor):
        kept = dict(row.filters)
        fields = {k: kept.get(k) for k in FIELDS}
        query = InboxQuery.parse(
            user,
            kept.get("view"),
            kept.get("status"),
            kept.get("channel"),
            kept.get("scenario"),
            kept.get("q"),
            **fields,
        )
        lists[str(row.id)] = query.ticket_filter()
    counts = await ticket_views.count_lists(db, user.actor, list(lists.values()))
    return dict(zip(lists, counts, strict=True))
