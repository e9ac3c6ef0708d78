"""Channel instances (administrators only): list, add and configure.

An API channel's inbound token and webhook secret are answered once, when it is added: only the
token's hash is stored and the secret is derived, so neither can be shown again.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, cast

import msgspec
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, PathParameter
from msgspec import UNSET, UnsetType

from channels import catalogue
from channels.phone import extensions
from channels.spec import form_fields
from hub.commands import fits
from hub.core import Hub
from hub.domain import ChannelKind
from hub.errors import NotFound
from hub.intake import channel_instances
from hub.models import Channel
from web.auth.guards import BEARER, admins
from web.auth.identity import CurrentUser
from web.doctor import channel_test


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
    #: Shown once: secrets the kind issued itself (web chat's ``secret``, which signs
    #: ``HubChat.setUser``), as ``hub channel add --json`` prints them.
    secrets: dict[str, str] = msgspec.field(default_factory=dict)


class FindingOut(msgspec.Struct):
    """One thing the channel's self-test found, as ``hub doctor`` reports it."""

    level: str
    part: str
    detail: str


class SettingOut(msgspec.Struct):
    """One setting of a kind, as the admin form shows it."""

    name: str
    kind: str
    required: bool
    default: Any
    help: dict[str, str]
    choices: list[str]
    #: A secret the hub keeps sealed: given in clear, never shown back, kept when left out.
    sealed: bool
    minimum: float | None
    #: The minimum itself is not allowed.
    above_minimum: bool
    maximum: float | None
    pattern: str | None


class ChannelKindOut(msgspec.Struct):
    kind: str
    title: dict[str, str]
    #: Channels of this kind get an inbound token when added (shown once).
    issues_token: bool
    settings: list[SettingOut]
    #: The same settings as a JSON Schema, for clients that generate forms.
    settings_schema: dict[str, Any]


class ChannelIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: ChannelKind
    name: Annotated[str, fits(Channel.name, words=True)]
    team_id: uuid.UUID | None = None
    config: dict[str, Any] = msgspec.field(default_factory=dict)


class ChannelPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields sent change; ``"team_id": null`` takes the channel away from its team."""

    name: Annotated[str, fits(Channel.name, words=True)] | UnsetType = UNSET
    team_id: uuid.UUID | UnsetType | None = UNSET
    config: dict[str, Any] | UnsetType = UNSET
    is_active: bool | UnsetType = UNSET


class ExtensionOut(msgspec.Struct):
    """A phone line's PBX extension and the user who answers on it."""

    extension: str
    user_id: uuid.UUID
    email: str
    name: str


class ExtensionIn(msgspec.Struct, forbid_unknown_fields=True):
    #: The user's e-mail address or id.
    user: Annotated[str, msgspec.Meta(min_length=1, max_length=320)]


class ChannelController(Controller):
    path = "/api/v1/channels"
    security = BEARER
    tags = ["channels"]
    guards = [admins]

    @get("/")
    async def list_channels(self, hub: NamedDependency[Hub]) -> list[ChannelOut]:
        return [ChannelOut.of(c) for c in await channel_instances.list_channels(hub)]

    @get("/kinds")
    async def list_kinds(self) -> list[ChannelKindOut]:
        """The kinds this hub ships and the settings each takes in ``config``: what the admin
        form shows and what adding or configuring a channel checks."""
        return [
            ChannelKindOut(
                kind=spec.kind,
                title=dict(spec.title),
                issues_token=spec.issues_token,
                settings=[
                    msgspec.convert(f, SettingOut, from_attributes=True) for f in form_fields(spec.form)
                ],
                settings_schema=msgspec.json.schema(spec.form),
            )
            for spec in catalogue.shipped()
        ]

    @post("/", cache_control=CacheControlHeader(no_store=True))
    async def create(
        self, request: Request, hub: NamedDependency[Hub], data: JSONBody[ChannelIn]
    ) -> CreatedChannelOut:
        user: CurrentUser = request.user
        created = await channel_instances.add_channel(
            hub, user.actor, kind=data.kind, name=data.name, team_id=data.team_id, config=data.config
        )
        base = msgspec.structs.asdict(ChannelOut.of(created.channel))
        spec = catalogue.spec(created.channel.kind.value)
        issued = spec.issued_secrets(hub.settings.secret_key, created.channel.id, created.channel.config)
        return CreatedChannelOut(
            **base, token=created.token, webhook_secret=created.webhook_secret, secrets=dict(issued)
        )

    @post("/{channel_id:uuid}/check", status_code=200, cache_control=CacheControlHeader(no_store=True))
    async def check(self, hub: NamedDependency[Hub], channel_id: FromPath[uuid.UUID]) -> list[FindingOut]:
        """Test the connection as ``hub doctor`` does (a login, a token; nothing is sent to anyone)."""
        channel = await channel_instances.get_channel(hub, channel_id)
        if channel is None:
            raise NotFound(what="channel")
        found = await channel_test(cast(catalogue.Catalogue, hub.channels), hub, channel)
        return [FindingOut(f.level, f.part, f.detail) for f in found]

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

    @get("/{channel_id:uuid}/extensions")
    async def list_extensions(
        self, request: Request, hub: NamedDependency[Hub], channel_id: FromPath[uuid.UUID]
    ) -> list[ExtensionOut]:
        """A phone line's extensions and who answers on each (how calls find their agent)."""
        user: CurrentUser = request.user
        found = await extensions.list_extensions(hub, user.actor, channel_id)
        return [msgspec.convert(m, ExtensionOut, from_attributes=True) for m in found]

    @put("/{channel_id:uuid}/extensions/{extension:str}")
    async def map_extension(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        channel_id: FromPath[uuid.UUID],
        extension: Annotated[str, PathParameter(pattern=extensions.EXTENSION)],
        data: JSONBody[ExtensionIn],
    ) -> ExtensionOut:
        user: CurrentUser = request.user
        mapped = await extensions.map_extension(hub, user.actor, channel_id, extension, data.user)
        return msgspec.convert(mapped, ExtensionOut, from_attributes=True)

    @delete("/{channel_id:uuid}/extensions/{extension:str}")
    async def unmap_extension(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        channel_id: FromPath[uuid.UUID],
        extension: Annotated[str, PathParameter(pattern=extensions.EXTENSION)],
    ) -> None:
        user: CurrentUser = request.user
        await extensions.unmap_extension(hub, user.actor, channel_id, extension)
