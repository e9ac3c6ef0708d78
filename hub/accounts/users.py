"""Changing people after they exist: an administrator's edits and a user's own profile.

Creating users and their credentials stays in :mod:`hub.accounts.accounts`. Deactivation ends
access by itself (every request re-reads the user and refuses an inactive one, so sessions,
login tokens and personal API tokens all stop on the next request) and hands the person's open
tickets over in the same transaction (:mod:`hub.tickets.reassignment`), so none is left with nobody.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal

import msgspec
import sqlalchemy as sa
from msgspec import UNSET, UnsetType
from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions
from hub.actors import Actor
from hub.commands import Command, fits
from hub.contacts import profiles
from hub.core import Hub
from hub.domain import STAFF_ROLES, Presence, Role
from hub.errors import Conflict, InvalidInput, NotFound
from hub.events.admin import SettingsChanged
from hub.models import Team, User
from hub.tickets import reassignment
from hub.uow import UnitOfWork

#: Advisory lock key taken while a change may remove an administrator.
ADMINS_LOCK = 0x6875_6261_646D


async def require_active_staff(session: AsyncSession, user_id: uuid.UUID, *, field: str) -> User:
    """Account managers, backups and liaisons must be people who can actually take the work."""
    user = await session.get(User, user_id)
    if user is None or not user.is_active or user.role not in STAFF_ROLES:
        raise InvalidInput(detail=f"{field} must be an active agent, supervisor or admin")
    return user


class UserChanges(Command, frozen=True, forbid_unknown_fields=True):
    """What an administrator may change; UNSET leaves a field alone (``team_id=None`` clears it)."""

    name: Annotated[str, fits(User.name, words=True)] | UnsetType = UNSET
    role: Role | UnsetType = UNSET
    team_id: uuid.UUID | UnsetType | None = UNSET
    capacity: Annotated[int, msgspec.Meta(ge=0, le=profiles.MAX_CAPACITY)] | UnsetType = UNSET
    is_active: bool | UnsetType = UNSET
    locale: Literal["zh-CN", "en"] | UnsetType = UNSET
    time_zone: Annotated[str, fits(User.time_zone)] | UnsetType = UNSET
    #: Escalation level 3 (management) hears of complaints at the top of the ladder.
    is_management: bool | UnsetType = UNSET
    #: Away (or busy) on someone's behalf: routing then gives their clients' new tickets to the
    #: organisation's backup manager.
    presence: Presence | UnsetType = UNSET


class ProfileChanges(Command, frozen=True, forbid_unknown_fields=True):
    """What every user may change about themselves."""

    presence: Presence | UnsetType = UNSET
    locale: Literal["zh-CN", "en"] | UnsetType = UNSET
    time_zone: Annotated[str, fits(User.time_zone)] | UnsetType = UNSET


def _cleaned(changes: UserChanges | ProfileChanges) -> dict[str, Any]:
    wanted = {k: v for k, v in msgspec.structs.asdict(changes).items() if v is not UNSET}
    checks: dict[str, Callable[[Any], Any]] = {
        "name": profiles.name,
        "capacity": profiles.capacity,
        "locale": profiles.locale,
        "time_zone": profiles.time_zone,
    }
    return {k: checks[k](v) if k in checks else v for k, v in wanted.items()}


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


async def _apply(hub: Hub, actor: Actor, user: User, wanted: dict[str, Any], uow: UnitOfWork) -> None:
    before = {k: _plain(getattr(user, k)) for k in wanted if getattr(user, k) != wanted[k]}
    if not before:
        return
    for key in before:
        setattr(user, key, wanted[key])
    uow.emit(
        SettingsChanged.of(
            actor,
            "user.updated",
            user.id,
            at=hub.clock.now(),
            before=before,
            after={k: _plain(wanted[k]) for k in before},
        )
    )


async def update_user(hub: Hub, actor: Actor, user_id: uuid.UUID, changes: UserChanges) -> User:
    """An administrator's edit. Partner accounts stay partner accounts (they belong to an
    organization); no administrator demotes or deactivates themselves, and the last active one
    cannot be demoted or deactivated at all."""
    permissions.require_admin(actor)
    wanted = _cleaned(changes)
    async with hub.uow() as uow:
        if "role" in wanted or "is_active" in wanted:
            # Serialise admin changes: two admins demoting each other at once must not both succeed.
            await uow.session.execute(sa.select(sa.func.pg_advisory_xact_lock(ADMINS_LOCK)))
        user = await uow.session.get(User, user_id, with_for_update=True)
        if user is None:
            raise NotFound(what="user")
        role = wanted.get("role", user.role)
        if (role is Role.PARTNER) != (user.role is Role.PARTNER):
            raise InvalidInput(detail="a user cannot move between partner and staff roles")
        if wanted.get("team_id") is not None and await uow.session.get(Team, wanted["team_id"]) is None:
            raise NotFound(what="team")
        stays_admin = role is Role.ADMIN and wanted.get("is_active", user.is_active)
        if user.role is Role.ADMIN and user.is_active and not stays_admin:
            if user.id == actor.user_id:
                # One slip (a wrong row in a form, a script with the wrong id) must not lock an
                # administrator out of the page where it could be undone.
                raise Conflict(
                    detail="you cannot demote or deactivate your own account; another administrator can"
                )
            await _keep_an_admin(uow.session, user.id)
        deactivated = user.is_active and wanted.get("is_active", True) is False
        await _apply(hub, actor, user, wanted, uow)
        if deactivated:
            await reassignment.hand_over(uow, user.id, actor=actor, why="deactivated", now=hub.clock.now())
        await uow.commit()
        return user


async def _keep_an_admin(session: AsyncSession, leaving: uuid.UUID) -> None:
    others = await session.scalar(
        sa.select(sa.func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN, User.is_active.is_(True), User.id != leaving)
    )
    if not others:
        raise Conflict(detail="the last active administrator cannot be demoted or deactivated")


async def update_profile(hub: Hub, actor: Actor, changes: ProfileChanges) -> User:
    """A user's own presence, language and time zone."""
    if actor.user_id is None:
        raise NotFound(what="user")
    wanted = _cleaned(changes)
    async with hub.uow() as uow:
        user = await uow.session.get(User, actor.user_id, with_for_update=True)
        if user is None:
            raise NotFound(what="user")
        await _apply(hub, actor, user, wanted, uow)
        await uow.commit()
        return user
