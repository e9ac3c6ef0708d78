"""Creating and editing teams, audited: their liaison, escalation lead and head, working hours."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from msgspec import UNSET, UnsetType
from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions
from hub.accounts.users import require_active_staff
from hub.actors import Actor
from hub.calendars import service as calendars
from hub.calendars.names import check_name
from hub.commands import Command, fits
from hub.contacts import profiles
from hub.core import Hub
from hub.db import flush_unique
from hub.errors import NotFound
from hub.events.admin import SettingsChanged
from hub.models import Team

MAX_NAME = 120  # teams.name and teams.name_zh are VARCHAR(120)


class NewTeam(Command, frozen=True, forbid_unknown_fields=True):
    name: Annotated[str, fits(Team.name, words=True)]
    name_zh: Annotated[str, fits(Team.name_zh)] | None = None
    liaison_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    head_id: uuid.UUID | None = None
    #: Working hours: a calendar's name; ``None``: around the clock (routing), ``cn`` (hand-offs).
    calendar: Annotated[str, fits(Team.calendar)] | None = None


class TeamChanges(Command, frozen=True, forbid_unknown_fields=True):
    """UNSET leaves a field alone; ``None`` clears the field (all but the name)."""

    name: Annotated[str, fits(Team.name, words=True)] | UnsetType = UNSET
    name_zh: Annotated[str, fits(Team.name_zh)] | UnsetType | None = UNSET
    liaison_id: uuid.UUID | UnsetType | None = UNSET
    lead_id: uuid.UUID | UnsetType | None = UNSET
    head_id: uuid.UUID | UnsetType | None = UNSET
    calendar: Annotated[str, fits(Team.calendar)] | UnsetType | None = UNSET


#: People a team names; each must be able to take the work.
_PEOPLE = ("liaison_id", "lead_id", "head_id")


async def _cleaned(session: AsyncSession, changes: NewTeam | TeamChanges) -> dict[str, Any]:
    """A new team is a change of every field (none left UNSET)."""
    wanted: dict[str, Any] = {}
    if changes.name is not UNSET:
        wanted["name"] = profiles.name(changes.name, max_length=MAX_NAME)
    if changes.name_zh is not UNSET:
        wanted["name_zh"] = (
            profiles.name(changes.name_zh, field="name_zh", max_length=MAX_NAME) if changes.name_zh else None
        )
    for field in _PEOPLE:
        person = getattr(changes, field)
        if person is not UNSET:
            if person is not None:
                await require_active_staff(session, person, field=field)
            wanted[field] = person
    if changes.calendar is not UNSET:
        if changes.calendar is not None:
            await calendars.calendar_in(session, check_name(changes.calendar))  # it must exist
        wanted["calendar"] = changes.calendar
    return wanted


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, uuid.UUID) else v for k, v in values.items()}


async def create_team(hub: Hub, actor: Actor, new: NewTeam) -> Team:
    permissions.require_admin(actor)
    async with hub.uow() as uow:
        wanted = await _cleaned(uow.session, new)
        team = Team(id=uuid.uuid4(), created_at=hub.clock.now(), **wanted)
        uow.session.add(team)
        await flush_unique(uow.session, f"a team named {team.name!r}")
        uow.emit(SettingsChanged.of(actor, "team.created", team.id, at=hub.clock.now(), after=_plain(wanted)))
        await uow.commit()
        return team


async def update_team(hub: Hub, actor: Actor, team_id: uuid.UUID, changes: TeamChanges) -> Team:
    permissions.require_admin(actor)
    async with hub.uow() as uow:
        team = await uow.session.get(Team, team_id, with_for_update=True)
        if team is None:
            raise NotFound(what="team")
        wanted = await _cleaned(uow.session, changes)
        before = {k: getattr(team, k) for k, v in wanted.items() if getattr(team, k) != v}
        if not before:
            return team
        for key in before:
            setattr(team, key, wanted[key])
        await flush_unique(uow.session, f"a team named {team.name!r}")
        uow.emit(
            SettingsChanged.of(
                actor,
                "team.updated",
                team.id,
                at=hub.clock.now(),
                before=_plain(before),
                after=_plain({k: wanted[k] for k in before}),
            )
        )
        await uow.commit()
        return team
