"""Saved inbox views: a name for a set of filters and a sort, kept by an agent for themselves or
shared with their team (every member sees it; its owner or a supervisor removes it).

The filters are the inbox's query-string fields, kept as given: the page reads them back with
the same rules as a typed URL, so a view saved before a filter was renamed degrades to "any"
rather than failing.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions
from hub.actors import Actor
from hub.batch_read import Wanted
from hub.core import Hub
from hub.domain import Role
from hub.errors import Forbidden, InvalidInput, NotFound
from hub.models import SavedView, User

#: The query-string fields a view keeps (``hub.tickets.views.TicketFilter`` and the sort).
FIELDS = (
    "view",
    "status",
    "channel",
    "scenario",
    "priority",
    "assignee",
    "team",
    "organization",
    "organization_name",
    "tag",
    "sla",
    "q",
    "sort",
)
MAX_VALUE = 200
MAX_NAME = 80


def _clean(filters: dict[str, Any]) -> dict[str, str]:
    return {k: str(v)[:MAX_VALUE] for k, v in filters.items() if k in FIELDS and v not in (None, "")}


async def _team_of(session: AsyncSession, actor: Actor) -> uuid.UUID | None:
    if actor.user_id is None:
        return None
    return await session.scalar(sa.select(User.team_id).where(User.id == actor.user_id))


async def create(
    hub: Hub, actor: Actor, *, name: str, filters: dict[str, Any], share_with_team: bool = False
) -> SavedView:
    permissions.require_staff(actor)
    title = " ".join(name.split())
    if not title or len(title) > MAX_NAME:
        raise InvalidInput("saved_view_name")
    if actor.user_id is None:
        raise Forbidden()
    async with hub.uow() as uow:
        team = await _team_of(uow.session, actor) if share_with_team else None
        row = SavedView(
            id=uuid.uuid4(), owner_id=actor.user_id, shared_team_id=team, name=title, filters=_clean(filters)
        )
        uow.session.add(row)
        await uow.commit()
        return row


async def visible(session: AsyncSession, actor: Actor) -> list[SavedView]:
    """The actor's own views, then those shared with their team, by name."""
    if actor.user_id is None or not actor.is_staff:
        return []
    team = await _team_of(session, actor)
    shared = SavedView.shared_team_id == team if team is not None else sa.false()
    rows = await session.scalars(
        sa.select(SavedView)
        .where(sa.or_(SavedView.owner_id == actor.user_id, shared))
        .order_by(SavedView.owner_id != actor.user_id, SavedView.name, SavedView.id)
    )
    return list(rows)


class SavedViewName(msgspec.Struct, frozen=True):
    """A view as the inbox lists it beside the built-in ones."""

    id: uuid.UUID
    name: str
    shared_team_id: uuid.UUID | None
    filters: dict[str, str]


def visible_names(actor: Actor) -> Wanted[SavedViewName]:
    """:func:`visible`'s views, in its order, to read with other lists (the team in the same
    statement instead of a query of its own)."""
    query = sa.select(SavedView.id, SavedView.name, SavedView.shared_team_id, SavedView.filters)
    if actor.user_id is None or not actor.is_staff:
        return Wanted(query.where(sa.false()), SavedViewName)
    team = sa.select(User.team_id).where(User.id == actor.user_id).scalar_subquery()
    query = query.where(sa.or_(SavedView.owner_id == actor.user_id, SavedView.shared_team_id == team))
    return Wanted(
        query.order_by(SavedView.owner_id != actor.user_id, SavedView.name, SavedView.id), SavedViewName
    )


async def one(session: AsyncSession, actor: Actor, view_id: uuid.UUID) -> SavedView:
    for row in await visible(session, actor):
        if row.id == view_id:
            return row
    raise NotFound(what="saved_view")


async def delete(hub: Hub, actor: Actor, view_id: uuid.UUID) -> None:
    """Its owner removes a view; a supervisor also a view shared with their team."""
    permissions.require_staff(actor)
    async with hub.uow() as uow:
        row = await one(uow.session, actor, view_id)
        if row.owner_id != actor.user_id and actor.role not in (Role.SUPERVISOR, Role.ADMIN):
            raise Forbidden()
        await uow.session.delete(row)
        await uow.commit()
