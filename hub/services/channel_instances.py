"""Adding and configuring channel instances, and checking an API channel's inbound token."""

from __future__ import annotations

import hmac
import re
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from msgspec import UNSET, UnsetType
from sqlalchemy.exc import IntegrityError

from hub import permissions
from hub.actors import Actor
from hub.core import Hub
from hub.domain import ChannelKind
from hub.errors import Conflict, HubError, InvalidInput, NotFound
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


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Settings with a fixed set of values, per channel kind.
_CHOICES: dict[ChannelKind, dict[str, tuple[str, ...]]] = {
    ChannelKind.EMAIL: {"smtp_tls": ("starttls", "tls", "none"), "imap_tls": ("tls", "starttls", "none")},
}
_FLAGS = ("auto_ack", "notifications", "imap_idle")


def _check_config(kind: ChannelKind, config: dict[str, Any]) -> None:
    """Channel settings are stored as given, so they are checked here, where every writer passes.

    Secrets never live in the database in clear: a setting named like a password, secret or token
    is refused unless it is the *name* of an environment variable (``..._env``) or was sealed with
    a key derived from HUB_SECRET_KEY (``..._sealed``, see hub.security.seal: WeChat's token and
    EncodingAESKey, which the hub needs itself to check every callback).
    """
    url = config.get("callback_url")
    if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        raise InvalidInput(detail="callback_url must be an http:// or https:// URL")
    if kind is not ChannelKind.API and url is not None:
        raise InvalidInput(detail="only API channels have a callback_url")
    for key, value in config.items():
        lowered = key.lower()
        if lowered.endswith("_env"):
            if not (isinstance(value, str) and _ENV_NAME.match(value)):
                raise InvalidInput(detail=f"{key} must be the name of an environment variable")
        elif lowered.endswith("_sealed"):
            if not isinstance(value, str):
                raise InvalidInput(detail=f"{key} must be a sealed value")
        elif any(word in lowered for word in ("password", "secret", "token")):
            raise InvalidInput(
                detail=f"{key}: secrets are not stored; name an environment variable ({key}_env)"
            )
        elif lowered.endswith("_port") and not (isinstance(value, int) and 0 < value < 65536):
            raise InvalidInput(detail=f"{key} must be a port number (1-65535)")
        elif (lowered == "address" or lowered.endswith("_address")) and not (
            isinstance(value, str) and _ADDRESS.match(value)
        ):
            raise InvalidInput(detail=f"{key} must be an e-mail address")
        elif lowered.endswith("_file") and not (isinstance(value, str) and value.startswith("/")):
            # Read by whichever process uses the channel (a worker, maybe on another host), so a
            # path relative to where the command was typed would mean nothing there.
            raise InvalidInput(detail=f"{key} must be an absolute file path")
        elif lowered in _FLAGS and not isinstance(value, bool):
            raise InvalidInput(detail=f"{key} must be true or false")
        elif lowered.endswith(("_seconds", "_bytes")) and not (
            isinstance(value, int | float) and not isinstance(value, bool) and value > 0
        ):
            raise InvalidInput(detail=f"{key} must be a positive number")
    for key, allowed in _CHOICES.get(kind, {}).items():
        if key in config and config[key] not in allowed:
            raise InvalidInput(detail=f"{key} must be one of {', '.join(allowed)}")


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
    """``channel_id`` may be chosen by the caller when the config depends on it (sealed secrets)."""
    permissions.require_admin(actor)
    config = dict(config or {})
    _check_config(kind, config)
    if not name.strip():
        raise InvalidInput(detail="the channel needs a name")
    token = new_token(CHANNEL_TOKEN_PREFIX) if kind is ChannelKind.API else None
    async with hub.uow() as uow:
        if team_id is not None and await uow.session.get(Team, team_id) is None:
            raise NotFound(what="team")
        channel = Channel(
            id=channel_id or uuid.uuid4(),
            kind=kind,
            name=name.strip(),
            team_id=team_id,
            config=config,
            token_hash=token_digest(token) if token else None,
        )
        uow.session.add(channel)
        try:
            await uow.session.flush()
        except IntegrityError:
            raise Conflict(detail=f"a channel named {name!r} already exists") from None
        uow.emit(
            SettingsChanged(
                actor=actor,
                action="channel.created",
                subject_type="channel",
                subject_id=channel.id,
                at=hub.clock.now(),
                after={"kind": kind.value, "name": channel.name, "config": config},
            )
        )
        await uow.commit()
    secret = webhook_secret(hub.settings.secret_key, channel.id) if kind is ChannelKind.API else None
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
    """UNSET leaves a setting alone; ``team_id=None`` takes the channel away from its team."""
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
            _check_config(channel.kind, config)
            channel.config = dict(config)
        if is_active is not UNSET:
            channel.is_active = is_active
        after = _settings(channel)
        if after == before:
            return channel
        uow.emit(
            SettingsChanged(
                actor=actor,
                action="channel.updated",
                subject_type="channel",
                subject_id=channel.id,
                at=hub.clock.now(),
                before=before,
                after=after,
            )
        )
        try:
            await uow.session.flush()
        except IntegrityError:
            raise Conflict(detail=f"a channel named {after['name']!r} already exists") from None
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
