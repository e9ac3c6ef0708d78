"""Teams: staff list them; administrators create and edit them.

Besides its name a team names its liaison (internal hand-offs), its lead (escalation level 1) and
department head (level 2), and its working hours (a calendar's name; routing and hand-offs).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts import directory, teams
from hub.core import Hub
from hub.models import Team
from web.auth.guards import BEARER, admins, staff
from web.auth.identity import CurrentUser


class TeamOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    name_zh: str | None
    liaison_id: uuid.UUID | None
    lead_id: uuid.UUID | None
    head_id: uuid.UUID | None
    #: Working hours: a calendar's name; ``null``: around the clock (routing), ``cn`` (hand-offs).
    calendar: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: Team) -> TeamOut:
        return cls(
            id=row.id,
            name=row.name,
            name_zh=row.name_zh,
            liaison_id=row.liaison_id,
            lead_id=row.lead_id,
            head_id=row.head_id,
            calendar=row.calendar,
            created_at=row.created_at,
        )


# Request bodies are the services' commands themselves, subclassed only to keep the names the API
# schema has always published: a field is added to the command, and the schema follows.


class TeamIn(teams.NewTeam):
    """A team; the people it names must be active staff."""


class TeamPatch(teams.TeamChanges):
    """Only the fields sent change; ``null`` clears any field but the name."""


class TeamController(Controller):
    path = "/api/v1/teams"
    security = BEARER
    tags = ["teams"]

    @get("/", guards=[staff])
    async def list_teams(self, request: Request, db: NamedDependency[AsyncSession]) -> list[TeamOut]:
        user: CurrentUser = request.user
        return [TeamOut.of(t) for t in await directory.list_teams(db, user.actor)]

    @post("/", guards=[admins])
    async def create(self, request: Request, hub: NamedDependency[Hub], data: JSONBody[TeamIn]) -> TeamOut:
        user: CurrentUser = request.user
        return TeamOut.of(await teams.create_team(hub, user.actor, data))

    @patch("/{team_id:uuid}", guards=[admins])
    async def update(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        team_id: FromPath[uuid.UUID],
        data: JSONBody[TeamPatch],
    ) -> TeamOut:
        user: CurrentUser = request.user
        return TeamOut.of(await teams.update_team(hub, user.actor, team_id, data))
