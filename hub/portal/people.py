"""A partner's admin manages its own people: invite, set permissions, remove (Coupa's supplier admins).

Everything is within the admin's own organization, taken from the login: another organization's
user is not found. An invited person gets a one-time password, shown once to the admin who passes
it on, and signs in with it as anyone does (then sets up two-factor authentication with the hub's
TOTP, which the list shows). Removing deactivates: the person's history stays.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Annotated, Literal

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub import scope
from hub.accounts.accounts import normalise_email
from hub.actors import Actor
from hub.commands import EMAIL, Command, fits
from hub.core import Hub
from hub.domain import PortalPermission, Role
from hub.errors import Conflict, InvalidInput, NotFound
from hub.events.admin import SettingsChanged
from hub.models import User
from hub.portal import permissions as portal_permissions
from hub.portal.common import partner_of
from hub.security import hash_password


class Invitation(Command, frozen=True, forbid_unknown_fields=True):
    email: Annotated[str, fits(User.email), msgspec.Meta(pattern=EMAIL)]
    name: Annotated[str, fits(User.name, words=True)]
    #: A list (a permission named twice counts once).
    permissions: Annotated[list[PortalPermission], msgspec.Meta(max_length=8)] = msgspec.field(
        default_factory=list
    )
    locale: Literal["zh-CN", "en"] = "zh-CN"


class PermissionChange(Command, frozen=True, forbid_unknown_fields=True):
    permissions: Annotated[list[PortalPermission], msgspec.Meta(max_length=8)]


def _admin_of(actor: Actor) -> uuid.UUID:
    organization_id = partner_of(actor)
    portal_permissions.require(actor, PortalPermission.ADMIN)
    return organization_id


async def list_people(hub: Hub, actor: Actor) -> list[User]:
    organization_id = _admin_of(actor)
    async with hub.uow() as uow:
        return list(
            await uow.session.scalars(
                scope.select(actor, User).where(User.organization_id == organization_id).order_by(User.name)
            )
        )


async def invite(hub: Hub, actor: Actor, invitation: Invitation) -> tuple[User, str]:
    """The new user and its one-time password (shown once)."""
    organization_id = _admin_of(actor)
    email = normalise_email(invitation.email)
    password = secrets.token_urlsafe(12)
    async with hub.uow() as uow:
        if await uow.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
            # Said the same way whoever holds it: the admin learns nothing of other organizations.
            raise Conflict(detail="this e-mail address cannot be invited")
        user = User(
            id=uuid.uuid4(),
            email=email,
            name=invitation.name.strip(),
            role=Role.PARTNER,
            organization_id=organization_id,
            locale=invitation.locale,
            password_hash=hash_password(password),
            portal_permissions=sorted({p.value for p in invitation.permissions}),
        )
        uow.session.add(user)
        await uow.session.flush()
        uow.emit(
            SettingsChanged.of(
                actor,
                "user.invited",
                user.id,
                at=hub.clock.now(),
                after={"email": email, "permissions": user.portal_permissions},
            )
        )
        await uow.commit()
        return user, password


async def _own_other(session: AsyncSession, actor: Actor, user_id: uuid.UUID) -> User:
    organization_id = _admin_of(actor)
    user = await scope.one(session, actor, User, user_id, lock=True)
    if user is None or user.organization_id != organization_id:
        raise NotFound(what="user")
    if user.id == actor.user_id:
        raise InvalidInput(detail="ask another admin of your company to change your own access")
    return user


async def set_permissions(hub: Hub, actor: Actor, user_id: uuid.UUID, change: PermissionChange) -> User:
    async with hub.uow() as uow:
        user = await _own_other(uow.session, actor, user_id)
        before = list(user.portal_permissions)
        user.portal_permissions = sorted({p.value for p in change.permissions})
        uow.emit(
            SettingsChanged.of(
                actor,
                "user.portal_permissions_changed",
                user.id,
                at=hub.clock.now(),
                before={"permissions": before},
                after={"permissions": user.portal_permissions},
            )
        )
        await uow.commit()
        return user


async def remove(hub: Hub, actor: Actor, user_id: uuid.UUID) -> User:
    """Deactivated, never deleted: what the person did stays theirs in the history."""
    async with hub.uow() as uow:
        user = await _own_other(uow.session, actor, user_id)
        user.is_active = False
        uow.emit(SettingsChanged.of(actor, "user.removed_by_partner_admin", user.id, at=hub.clock.now()))
        await uow.commit()
        return user
