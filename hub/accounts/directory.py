"""The hub's directory: organizations, teams and users, as each viewer may see them.

Staff see everything. A partner sees only its own organization (:mod:`hub.scope`); anything else
is "not found", never "forbidden", so a partner cannot learn which other organizations exist.
"""

from __future__ import annotations

import uuid

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions, scope
from hub.actors import Actor
from hub.batch_read import Wanted
from hub.domain import Role
from hub.errors import NotFound
from hub.models import Organization, Team, User


async def list_organizations(
    session: AsyncSession, actor: Actor, *, containing: str | None = None, limit: int | None = None
) -> list[Organization]:
    """By name; ``containing``: only names holding that text in any case, those that start with it
    first (what a typeahead offers as the agent types, instead of every organisation on every page)."""
    query = scope.select(actor, Organization)
    if containing:
        place = sa.func.strpos(sa.func.lower(Organization.name), containing.lower())
        query = query.where(place > 0).order_by(place != 1)
    rows = await session.scalars(query.order_by(Organization.name).limit(limit))
    return list(rows)


async def organization_named(session: AsyncSession, actor: Actor, text: str) -> Organization | None:
    """The organisation a typed name means: the one of that name (in this case, else in any), else
    the only one whose name holds the text; None when there is none, or several."""
    lowered = sa.func.lower(Organization.name)
    rows = list(
        await session.scalars(
            scope.select(actor, Organization)
            .where(sa.func.strpos(lowered, text.lower()) > 0)
            .order_by(lowered != text.lower(), Organization.name != text, Organization.name)
            .limit(2)
        )
    )
    if rows and (rows[0].name.lower() == text.lower() or len(rows) == 1):
        return rows[0]
    return None


async def organization(session: AsyncSession, actor: Actor, organization_id: uuid.UUID) -> Organization:
    found = await session.scalar(scope.select(actor, Organization).where(Organization.id == organization_id))
    if found is None:
        raise NotFound(what="organization")
    return found


async def list_teams(session: AsyncSession, actor: Actor) -> list[Team]:
    permissions.require_staff(actor)
    return list(await session.scalars(sa.select(Team).order_by(Team.name)))


class PersonName(msgspec.Struct, frozen=True):
    """A user as lists and filters name them (no address, no secrets)."""

    id: uuid.UUID
    name: str
    role: Role


class TeamName(msgspec.Struct, frozen=True):
    id: uuid.UUID
    name: str


class OrganizationName(msgspec.Struct, frozen=True):
    id: uuid.UUID
    name: str


def people_names(actor: Actor) -> Wanted[PersonName]:
    """Everyone by name, active first (:func:`list_users`' order), to read with other lists."""
    permissions.require_staff(actor)
    query = scope.select(actor, User).with_only_columns(User.id, User.name, User.role)
    return Wanted(query.order_by(User.is_active.desc(), User.name, User.email), PersonName)


def team_names(actor: Actor) -> Wanted[TeamName]:
    permissions.require_staff(actor)
    return Wanted(sa.select(Team.id, Team.name).order_by(Team.name), TeamName)


def organization_names(actor: Actor, ids: set[uuid.UUID | None]) -> Wanted[OrganizationName]:
    """The organisations among ``ids`` this actor may see (:func:`organizations_by_id`)."""
    query = scope.select(actor, Organization).with_only_columns(Organization.id, Organization.name)
    return Wanted(query.where(Organization.id.in_([i for i in ids if i is not None])), OrganizationName)


async def list_users(
    session: AsyncSession, actor: Actor, *, role: Role | None = None, team_id: uuid.UUID | None = None
) -> list[User]:
    """Everyone, active first, by name; the caller never sends password hashes or TOTP secrets on."""
    permissions.require_staff(actor)
    query = scope.select(actor, User)
    if role is not None:
        query = query.where(User.role == role)
    if team_id is not None:
        query = query.where(User.team_id == team_id)
    return list(await session.scalars(query.order_by(User.is_active.desc(), User.name, User.email)))


async def organizations_by_id(
    session: AsyncSession, actor: Actor, ids: set[uuid.UUID | None]
) -> dict[uuid.UUID, Organization]:
    """The organizations among ``ids`` this actor may see, for lists that show names next to rows."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.scalars(scope.select(actor, Organization).where(Organization.id.in_(wanted)))
    return {row.id: row for row in rows}
