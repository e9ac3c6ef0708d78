"""Saved inbox views: an agent's named filters, private or shared with their team."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from hub.core import Hub
from hub.models import SavedView
from hub.tickets import saved_views
from web.auth.guards import BEARER, staff
from web.auth.identity import CurrentUser


class SavedViewIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=saved_views.MAX_NAME)]
    #: The inbox's query-string fields: view, status, channel, scenario, priority, assignee, team,
    #: organization, tag, sla, q, sort (others are dropped).
    filters: dict[str, Annotated[str, msgspec.Meta(max_length=saved_views.MAX_VALUE)]]
    #: Shown to every member of the creator's team.
    share_with_team: bool = False


class SavedViewOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    owner_id: uuid.UUID
    shared_team_id: uuid.UUID | None
    filters: dict[str, str]

    @classmethod
    def of(cls, row: SavedView) -> SavedViewOut:
        return cls(
            id=row.id,
            name=row.name,
            owner_id=row.owner_id,
            shared_team_id=row.shared_team_id,
            filters=row.filters,
        )


class SavedViewController(Controller):
    path = "/api/v1/views"
    security = BEARER
    tags = ["inbox"]

    @get("/", guards=[staff])
    async def list_views(self, request: Request, db: NamedDependency[AsyncSession]) -> list[SavedViewOut]:
        """The caller's own views, then those shared with their team."""
        user: CurrentUser = request.user
        return [SavedViewOut.of(v) for v in await saved_views.visible(db, user.actor)]

    @post("/", guards=[staff])
    async def create(
        self, request: Request, hub: NamedDependency[Hub], data: JSONBody[SavedViewIn]
    ) -> SavedViewOut:
        user: CurrentUser = request.user
        row = await saved_views.create(
            hub, user.actor, name=data.name, filters=data.filters, share_with_team=data.share_with_team
        )
        return SavedViewOut.of(row)

    @delete("/{view_id:uuid}", guards=[staff])
    async def remove(self, request: Request, hub: NamedDependency[Hub], view_id: FromPath[uuid.UUID]) -> None:
        """Its owner removes a view; a supervisor also one shared with their team."""
        user: CurrentUser = request.user
        await saved_views.delete(hub, user.actor, view_id)
