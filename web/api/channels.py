"""Channel instances (administrators only): list, add and configure.

An API channel's inbound token and webhook secret are answered once, when it is added: only the
token's hash is stored and the secret is derived, so neither can be shown again.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from msgspec import UNSET, UnsetType

from hub.commands import fits
from hub.core import Hub
from hub.domain import ChannelKind
from hub.models import Channel
from hub.services import channel_instances
from web.auth.guards import admins
from web.auth.identity import CurrentUser


class ChannelOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    name: str
    team_id: uuid.UUID | None
    config: dict[str, Any]
    is_active: bool
    created_at: datetime

    @classmethod
    def of(cls, row: Channel) -> ChannelOut:
        return cls(
            id=row.id,
            kind=row.kind.value,
            name=row.name,
            team_id=row.team_id,
            config=dict(row.config),
            is_active=row.is_active,
            created_at=row.created_at,
        )


class CreatedChannelOut(ChannelOut, kw_only=True):
    #: Shown once (API channels): integrations send it as ``Authorization: Bearer``.
    token: str | None
    #: Shown once (API channels): verifies the signature on the hub's outgoing webhooks.
    webhook_secret: str | None


class ChannelIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: ChannelKind
    name: Annotated[str, fits(Channel.name)]
    team_id: uuid.UUID | None = None
    config: dict[str, Any] = msgspec.field(default_factory=dict)


class ChannelPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields sent change; ``"team_id": null`` takes the channel away from its team."""

    name: Annotated[str, fits(Channel.name)] | UnsetType = UNSET
    team_id: uuid.UUID | UnsetType | None = UNSET
    config: dict[str, Any] | UnsetType = UNSET
    is_active: bool | UnsetType = UNSET


class ChannelController(Controller):
    path = "/api/v1/channels"
    tags = ["channels"]
    guards = [admins]

    @get("/")
    async def list_channels(self, hub: NamedDependency[Hub]) -> list[ChannelOut]:
        return [ChannelOut.of(c) for c in await channel_instances.list_channels(hub)]

    @post("/", cache_control=CacheControlHeader(no_store=True))
    async def create(
        self, request: Request, hub: NamedDependency[Hub], data: JSONBody[ChannelIn]
    ) -> CreatedChannelOut:
        user: CurrentUser = request.user
        created = await channel_instances.add_channel(
            hub, user.actor, kind=data.kind, name=data.name, team_id=data.team_id, config=data.config
        )
        base = msgspec.structs.asdict(ChannelOut.of(created.channel))
        return CreatedChannelOut(**base, token=created.token, webhook_secret=created.webhook_secret)

    @patch("/{channel_id:uuid}")
    async def update(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        channel_id: FromPath[uuid.UUID],
        data: JSONBody[ChannelPatch],
    ) -> ChannelOut:
        user: CurrentUser = request.user
        channel = await channel_instances.update_channel(
            hub,
            user.actor,
            channel_id,
            name=data.name,
            team_id=data.team_id,
            config=data.config,
            is_active=data.is_active,
        )
        return ChannelOut.of(channel)
