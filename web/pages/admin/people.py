"""People pages: users, teams (with their liaison, lead and head) and organisations (tier, mail
domains, account manager and backup, calendar). Supervisors read them; administrators edit."""

from __future__ import annotations

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts import directory
from hub.calendars import service as calendars
from hub.core import Hub
from hub.domain import STAFF_ROLES, OrganizationKind, Presence, Role, Tier
from hub.models import User
from web.auth.guards import supervisors
from web.auth.identity import CurrentUser
from web.pages.admin.common import admin_render


def _staff(users: list[User]) -> list[User]:
    """Who may be named a manager, liaison, lead or head: active staff."""
    return [u for u in users if u.is_active and u.role in STAFF_ROLES]


@get("/admin/users", guards=[supervisors], name="admin-users")
async def users_page(request: Request, db: NamedDependency[AsyncSession]) -> Template:
    user: CurrentUser = request.user
    return admin_render(
        request,
        "admin_users.html",
        "users",
        users=await directory.list_users(db, user.actor),
        teams=await directory.list_teams(db, user.actor),
        organizations=[
            o
            for o in await directory.list_organizations(db, user.actor)
            if o.kind is OrganizationKind.PARTNER
        ],
        roles=list(Role),
        presences=list(Presence),
    )


@get("/admin/teams", guards=[supervisors], name="admin-teams")
async def teams_page(
    request: Request, hub: NamedDependency[Hub], db: NamedDependency[AsyncSession]
) -> Template:
    user: CurrentUser = request.user
    people = await directory.list_users(db, user.actor)
    return admin_render(
        request,
        "admin_teams.html",
        "teams",
        teams=await directory.list_teams(db, user.actor),
        staff=_staff(people),
        names={u.id: u.name for u in people},
        calendars=[c.name for c in await calendars.list_calendars(hub)],
    )


@get("/admin/organizations", guards=[supervisors], name="admin-organizations")
async def organizations_page(
    request: Request, hub: NamedDependency[Hub], db: NamedDependency[AsyncSession]
) -> Template:
    user: CurrentUser = request.user
    people = await directory.list_users(db, user.actor)
    return admin_render(
        request,
        "admin_organizations.html",
        "organizations",
        organizations=await directory.list_organizations(db, user.actor),
        staff=_staff(people),
        names={u.id: u.name for u in people},
        calendars=[c.name for c in await calendars.list_calendars(hub)],
        kinds=list(OrganizationKind),
        tiers=list(Tier),
    )
