"""Which user answers on each PBX extension of a line: admins map them (CLI, API, later a page).

The mapping is how a call finds its agent (who answered, who called back) and its direction (a
call from a mapped extension is the agent's). Changes are audited like every channel setting.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions
from hub.actors import Actor
from hub.commands import NON_SPACE
from hub.core import Hub
from hub.domain import STAFF_ROLES, ChannelKind
from hub.errors import InvalidInput, NotFound
from hub.events.admin import SettingsChanged
from hub.models import Channel, PhoneExtension, User

_EXTENSION_LENGTH = PhoneExtension.extension.type.length


@dataclass(frozen=True, slots=True)
class Mapping:
    extension: str
    user_id: uuid.UUID
    email: str
    name: str


async def _line(session: AsyncSession, channel_id: uuid.UUID) -> Channel:
    channel: Channel | None = await session.get(Channel, channel_id)
    # Another kind of channel has no extensions to show: as absent as a channel that is not there.
    if channel is None or channel.kind is not ChannelKind.PHONE:
        raise NotFound(what="phone line")
    return channel


#: What an extension may be: the API schema states the same expression for the path's segment.
EXTENSION = f"^{NON_SPACE}{{1,{_EXTENSION_LENGTH or 32}}}$"


def _checked(extension: str) -> str:
    extension = extension.strip()
    if not re.fullmatch(EXTENSION, extension):
        raise InvalidInput(detail=f"extension must be 1 to {_EXTENSION_LENGTH} characters without spaces")
    return extension


async def map_extension(hub: Hub, actor: Actor, channel_id: uuid.UUID, extension: str, user: str) -> Mapping:
    """Map ``extension`` of the line to ``user`` (an e-mail address or a user id): calls taken or
    placed on it are theirs from now on (calls already on tickets keep who they named)."""
    permissions.require_admin(actor)
    extension = _checked(extension)
    async with hub.uow() as uow:
        await _line(uow.session, channel_id)
        try:
            where = User.id == uuid.UUID(user)
        except ValueError:
            where = sa.func.lower(User.email) == user.strip().lower()
        found = await uow.session.scalar(sa.select(User).where(where))
        if found is None:
            raise NotFound(what="user")
        if found.role not in STAFF_ROLES:
            raise InvalidInput(detail="only staff (agents, supervisors, admins) answer a line's extensions")
        previous = await uow.session.scalar(
            sa.select(PhoneExtension.user_id).where(
                PhoneExtension.channel_id == channel_id, PhoneExtension.extension == extension
            )
        )
        await uow.session.execute(
            insert(PhoneExtension)
            .values(channel_id=channel_id, extension=extension, user_id=found.id)
            .on_conflict_do_update(index_elements=["channel_id", "extension"], set_={"user_id": found.id})
        )
        uow.emit(
            SettingsChanged.of(
                actor,
                "channel.extension_mapped",
                channel_id,
                at=hub.clock.now(),
                before={"extension": extension, "user_id": str(previous)} if previous else None,
                after={"extension": extension, "user_id": str(found.id)},
            )
        )
        await uow.commit()
    return Mapping(extension, found.id, found.email, found.name)


async def unmap_extension(hub: Hub, actor: Actor, channel_id: uuid.UUID, extension: str) -> None:
    permissions.require_admin(actor)
    extension = extension.strip()
    async with hub.uow() as uow:
        await _line(uow.session, channel_id)
        removed = await uow.session.scalar(
            sa.delete(PhoneExtension)
            .where(PhoneExtension.channel_id == channel_id, PhoneExtension.extension == extension)
            .returning(PhoneExtension.user_id)
        )
        if removed is None:
            raise NotFound(what="extension")
        uow.emit(
            SettingsChanged.of(
                actor,
                "channel.extension_unmapped",
                channel_id,
                at=hub.clock.now(),
                before={"extension": extension, "user_id": str(removed)},
            )
        )
        await uow.commit()


async def list_extensions(hub: Hub, actor: Actor, channel_id: uuid.UUID) -> list[Mapping]:
    permissions.require_admin(actor)
    async with hub.uow() as uow:
        await _line(uow.session, channel_id)
        rows = await uow.session.execute(
            sa.select(PhoneExtension.extension, User.id, User.email, User.name)
            .join(User, User.id == PhoneExtension.user_id)
            .where(PhoneExtension.channel_id == channel_id)
            .order_by(PhoneExtension.extension)
        )
        return [Mapping(*row) for row in rows]
