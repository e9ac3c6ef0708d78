"""The partner portal's quality cases, meetings, action items and messages as pages, the page a
single-use link opens, and the company's portal page on a partner organization.

Reads go through the hub's portal modules, which scope a partner to its own organization; the
forms post JSON to ``/api/v1/portal/...`` (:file:`web/static/portal_quality.js`) and the page is
rendered again, so validation, permissions and the audit trail stay the API's.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from hub import scope
from hub.accounts import directory
from hub.domain import STAFF_ROLES, OrganizationKind, PortalPermission, Role
from hub.errors import HubError, NotFound
from hub.models import Organization, User
from hub.portal import action_items, links, meetings, messages, quality, waiting
from hub.portal import permissions as portal_permissions
from hub.portal.terms import PARTNER_OWES, QualityCaseStatus, QualityStepStatus, Severity
from web.auth.guards import any_user, staff
from web.auth.identity import CurrentUser
from web.pages.context import render


def _now(request: Request) -> datetime:
    return request.app.state.hub.clock.now()


async def _names(db: AsyncSession, user: CurrentUser, ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    organizations = await directory.organizations_by_id(db, user.actor, ids)
    return {org_id: org.name for org_id, org in organizations.items()}


@get("/portal/quality", guards=[any_user], name="portal-quality")
async def quality_list(request: Request, db: NamedDependency[AsyncSession]) -> Template:
    user: CurrentUser = request.user
    cases = await quality.list_cases(db, user.actor)
    owed = await quality.steps_waiting(db, user.actor, limit=500)
    next_due: dict[uuid.UUID, datetime] = {}
    for case, step in owed:
        next_due.setdefault(case.id, step.due_at)
    return render(
        request,
        "portal/quality_list.html",
        cases=cases,
        next_due=next_due,
        organizations=await _names(db, user, {c.organization_id for c in cases}),
        waiting=await waiting.waiting_on(request.app.state.hub, user.actor) if user.is_partner else [],
        now=_now(request),
        section="quality",
    )


@get("/portal/quality/{case_id:uuid}", guards=[any_user], name="portal-quality-case")
async def quality_case(
    request: Request, db: NamedDependency[AsyncSession], case_id: FromPath[uuid.UUID]
) -> Template:
    user: CurrentUser = request.user
    view = await quality.case_view(db, user.actor, case_id)
    return render(
        request,
        "portal/quality_case.html",
        case=view.case,
        steps=view.steps,
        owes=PARTNER_OWES,
        answered=QualityStepStatus.ANSWERED,
        is_open=view.case.status is QualityCaseStatus.OPEN,
        may_answer=user.is_partner and portal_permissions.may(user.actor, PortalPermission.QUALITY),
        organizations=await _names(db, user, {view.case.organization_id}),
        now=_now(request),
        section="quality",
    )


@get("/portal/meetings", guards=[any_user], name="portal-meetings")
async def meeting_list(request: Request, db: NamedDependency[AsyncSession]) -> Template:
    user: CurrentUser = request.user
    rows = await meetings.list_meetings(db, user.actor)
    return render(
        request,
        "portal/meetings.html",
        meetings=rows,
        minutes={m.id: meetings.minutes_for(user.actor, m) for m in rows},
        organizations=await _names(db, user, {m.organization_id for m in rows}),
        section="meetings",
    )


async def _assignable(db: AsyncSession, organization_id: uuid.UUID) -> list[User]:
    """Who may attend or own an item: active staff, and this partner's own people."""
    rows = await db.scalars(
        sa.select(User)
        .where(
            User.is_active,
            sa.or_(
                User.role.in_(list(STAFF_ROLES)),
                sa.and_(User.role == Role.PARTNER, User.organization_id == organization_id),
            ),
        )
        .order_by(User.role, User.name)
    )
    return list(rows)


@get("/portal/meetings/{meeting_id:uuid}", guards=[any_user], name="portal-meeting")
async def meeting_page(
    request: Request, db: NamedDependency[AsyncSession], meeting_id: FromPath[uuid.UUID]
) -> Template:
    user: CurrentUser = request.user
    meeting = await meetings.get(db, user.actor, meeting_id)
    return render(
        request,
        "portal/meeting.html",
        meeting=meeting,
        minutes=meetings.minutes_for(user.actor, meeting),
        attendees=await meetings.attendee_names(db, user.actor, meeting),
        people=await _assignable(db, meeting.organization_id) if user.is_staff else [],
        editable=user.is_staff and meeting.published_at is None and meeting.status.value != "cancelled",
        organizations=await _names(db, user, {meeting.organization_id}),
        section="meetings",
    )


@get("/portal/action-items", guards=[any_user], name="portal-action-items")
async def action_item_list(request: Request, db: NamedDependency[AsyncSession]) -> Template:
    user: CurrentUser = request.user
    rows = await action_items.list_items(db, user.actor)
    return render(
        request,
        "portal/action_items.html",
        items=rows,
        owners=await action_items.owner_names(db, user.actor, rows),
        organizations=await _names(db, user, {i.organization_id for i in rows}),
        now=_now(request),
        section="actions",
    )


@get("/portal/messages", guards=[any_user], name="portal-messages")
async def message_list(request: Request, db: NamedDependency[AsyncSession]) -> Template:
    user: CurrentUser = request.user
    return render(
        request,
        "portal/messages.html",
        conversations=await messages.conversations(db, user.actor),
        section="messages",
    )


@get("/portal/act/{token:str}", exclude_from_auth=True, name="portal-act")
async def act_page(request: Request, token: FromPath[str]) -> Template:
    """The page a single-use link opens: what it acts on, the code, and the answer."""
    hub = request.app.state.hub
    try:
        target = await links.peek(hub, token) if len(token) <= 200 else None
    except HubError as refused:
        return render(
            request, "portal/act.html", status_code=404, target=None, token=token, refused=refused.code
        )
    if target is None:
        return render(
            request, "portal/act.html", status_code=404, target=None, token=token, refused="link_invalid"
        )
    return render(request, "portal/act.html", target=target, token=token, refused=None)


@get("/organizations/{organization_id:uuid}/portal", guards=[staff], name="organization-portal")
async def company_page(
    request: Request, db: NamedDependency[AsyncSession], organization_id: FromPath[uuid.UUID]
) -> Template:
    """The company's side of one partner: its quality cases, meeting series and meetings, action items."""
    user: CurrentUser = request.user
    organization = await scope.one(db, user.actor, Organization, organization_id)
    if organization is None or organization.kind is not OrganizationKind.PARTNER:
        raise NotFound(what="organization")
    items = await action_items.list_items(db, user.actor, organization_id=organization.id)
    data: dict[str, Any] = {
        "organization": organization,
        "cases": await quality.list_cases(db, user.actor, organization_id=organization.id),
        "timings": await quality.timings(db, organization.id),
        "series": await meetings.series_of(db, user.actor, organization.id),
        "meetings": await meetings.list_meetings(db, user.actor, organization_id=organization.id),
        "items": items,
        "owners": await action_items.owner_names(db, user.actor, items),
        "people": await _assignable(db, organization.id),
        "severities": list(Severity),
        "now": _now(request),
        "section": "company",
    }
    return render(request, "portal/company.html", **data)


PAGES = [
    quality_list,
    quality_case,
    meeting_list,
    meeting_page,
    action_item_list,
    message_list,
    act_page,
    company_page,
]
