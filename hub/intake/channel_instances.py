"""Adding and configuring channel instances, and checking an API channel's inbound token."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from msgspec import UNSET, UnsetType

from hub import permissions
from hub.actors import Actor
from hub.core import Hub
from hub.db import flush_unique
from hub.domain import ChannelKind
from hub.errors import HubError, InvalidInput, NotFound
from hub.events.admin import SettingsChanged
from hub.models import Channel, Team
from hub.security import CHANNEL_TOKEN_PREFIX, new_token, token_digest, webhook_secret


class InvalidChannelToken(HubError):
    code = "invalid_channel_token"


class ChannelInactive(HubError):
    code = "channel_inactive"


@dataclass(frozen=True)
class CreatedChannel:
    channel: Channel
    #: The inbound token (API channel); shown once, only its hash is kept.
    token: str | None
    #: The key that signs this channel's outgoing webhooks (derived, never stored).
    webhook_secret: str | None


async def add_channel(
    hub: Hub,
    actor: Actor,
    *,
    kind: ChannelKind,
    name: str,
    team_id: uuid.UUID | None = None,
    config: dict[str, Any] | None = None,
    channel_id: uuid.UUID | None = None,
) -> CreatedChannel:
    """``config`` holds the settings as an admin gives them (the kind's form, secrets in clear);
    the kind's spec checks them and says what is stored (secrets sealed to ``channel_id``)."""
    permissions.require_admin(actor)
    if not name.strip():
        raise InvalidInput(detail="the channel needs a name")
    channel_id = channel_id or uuid.uuid4()
    config = hub.channels.configure(kind, channel_id, config or {})
    token = new_token(CHANNEL_TOKEN_PREFIX) if hub.channels.issues_token(kind) else None
    async with hub.uow() as uow:
        if team_id is not None and await uow.session.get(Team, team_id) is None:
            raise NotFound(what="team")
        channel = Channel(
            id=channel_id,
            kind=kind,
            name=name.strip(),
            team_id=team_id,
            config=config,
            token_hash=token_digest(token) if token else None,
        )
        uow.session.add(channel)
        await flush_unique(uow.session, f"a channel named {name!r}")
        after = {"kind": kind.value, "name": channel.name, "config": config}
        uow.emit(SettingsChanged.of(actor, "channel.created", channel.id, at=hub.clock.now(), after=after))
        await uow.commit()
    secret = webhook_secret(hub.settings.secret_key, channel.id) if token else None
    return CreatedChannel(channel=channel, token=token, webhook_secret=secret)


def _settings(channel: Channel) -> dict[str, Any]:
    return {
        "name": channel.name,
        "team_id": str(channel.team_id) if channel.team_id else None,
        "config": channel.config,
        "is_active": channel.is_active,
    }


async def update_channel(
    hub: Hub,
    actor: Actor,
    channel_id: uuid.UUID,
    *,
    name: str | UnsetType = UNSET,
    team_id: uuid.UUID | UnsetType | None = UNSET,
    config: dict[str, Any] | UnsetType = UNSET,
    is_active: bool | UnsetType = UNSET,
) -> Channel:
    """UNSET leaves a setting alone; ``team_id=None`` takes the channel away from its team. A
    ``config`` replaces the settings, except sealed secrets it does not give again."""
    permissions.require_admin(actor)
    if name is not UNSET and not name.strip():
        raise InvalidInput(detail="the channel needs a name")
    async with hub.uow() as uow:
        channel = await uow.session.get(Channel, channel_id, with_for_update=True)
        if channel is None:
            raise NotFound(what="channel")
        before = _settings(channel)
        # Before any change: the look-up autoflushes, and a renamed row would hit the unique name there.
        if team_id not in (UNSET, None) and await uow.session.get(Team, team_id) is None:
            raise NotFound(what="team")
        if name is not UNSET:
            channel.name = name.strip()
        if team_id is not UNSET:
            channel.team_id = team_id
        if config is not UNSET:
            channel.config = hub.channels.configure(channel.kind, channel.id, config, channel.config)
        if is_active is not UNSET:
            channel.is_active = is_active
        after = _settings(channel)
        if after == before:
            return channel
        uow.emit(
            SettingsChanged.of(
                actor, "channel.updated", channel.id, at=hub.clock.now(), before=before, after=after
            )
        )
        await flush_unique(uow.session, f"a channel named {after['name']!r}")
        await uow.commit()
        return channel


async def verify_token(hub: Hub, channel_id: uuid.UUID, token: str | None) -> Channel:
    """The channel if the token is its inbound token; a wrong channel and a wrong token look the same."""
    async with hub.uow() as uow:
        channel = await uow.session.get(Channel, channel_id)
    if channel is None or channel.token_hash is None or not token:
        raise InvalidChannelToken()
    if not hmac.compare_digest(channel.token_hash, token_digest(token)):
        raise InvalidChannelToken()
    if not channel.is_active:
        raise ChannelInactive()
    return channel


async def get_channel(hub: Hub, channel_id: uuid.UUID) -> Channel | None:
    async with hub.uow() as uow:
        return await uow.session.get(Channel, channel_id)


async def list_channels(hub: Hub) -> list[Channel]:
    async with hub.uow() as uow:
        return list(await uow.session.scalars(sa.select(Channel).order_by(Channel.created_at)))
