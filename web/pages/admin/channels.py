"""Channel pages: the list, adding a channel of a kind, and one channel's settings, its webhook
address or embed line, its connection test and (phone lines) the extension map.

The settings form is drawn from the kind's own spec (``channels/<kind>/spec.py``): the same fields,
help and limits that ``hub channel add`` makes its options from and the API checks.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from channels import catalogue
from channels.phone import extensions
from channels.spec import ChannelSpec, FormField, form_fields
from hub.accounts import directory
from hub.core import Hub
from hub.domain import ChannelKind
from hub.intake import channel_instances
from hub.models import Channel
from web.auth.guards import admins
from web.auth.identity import CurrentUser
from web.pages.admin.common import admin_render
from web.pages.context import page_locale
from web.pages.widget import demo_chat_channel


@dataclass(frozen=True)
class SettingView:
    """One setting as the form shows it: its current value (never a sealed secret's)."""

    field: FormField
    value: Any
    #: A sealed secret is stored: the field may stay empty to keep it.
    kept: bool
    help: str

    @property
    def input_value(self) -> str:
        if self.value is None or self.field.sealed:
            return ""
        if self.field.kind == "list":
            return "\n".join(str(v) for v in self.value)
        return str(self.value)


def settings_of(spec: ChannelSpec, config: dict[str, Any] | None, locale: str) -> list[SettingView]:
    """The kind's settings with the stored values (``None``: a new channel, with the defaults)."""
    views = []
    for setting in form_fields(spec.form):
        value = setting.default if config is None else config.get(setting.name, setting.default)
        kept = config is not None and f"{setting.name}_sealed" in config
        text = setting.help.get(locale) or setting.help.get("en", "")
        views.append(SettingView(setting, value, kept, text))
    return views


def addresses(spec: ChannelSpec, base: str, channel: Channel) -> dict[str, str]:
    """Where the channel's traffic arrives, by what the address is for (``webhook_url``,
    ``callback_url``): what the kind tells ``hub channel add``, and the API channel's own."""
    found = dict(spec.announce(base, channel.id, channel.config).fields)
    if channel.kind is ChannelKind.API:
        found["messages_url"] = f"{base}/api/v1/channels/{channel.id}/messages"
    return found


def _kind_spec(kind: str) -> ChannelSpec:
    if kind not in {k.value for k in ChannelKind}:
        raise NotFoundException()
    return catalogue.spec(kind)


@get("/admin/channels", guards=[admins], name="admin-channels")
async def channels_page(
    request: Request, hub: NamedDependency[Hub], db: NamedDependency[AsyncSession]
) -> Template:
    user: CurrentUser = request.user
    teams = {t.id: t for t in await directory.list_teams(db, user.actor)}
    return admin_render(
        request,
        "admin_channels.html",
        "channels",
        channels=await channel_instances.list_channels(hub),
        teams=teams,
        kinds=catalogue.shipped(),
    )


@get("/admin/channels/new/{kind:str}", guards=[admins], name="admin-channel-new")
async def channel_new_page(
    request: Request, db: NamedDependency[AsyncSession], kind: FromPath[str]
) -> Template:
    user: CurrentUser = request.user
    spec = _kind_spec(kind)
    return admin_render(
        request,
        "admin_channel.html",
        "channels",
        channel=None,
        spec=spec,
        settings=settings_of(spec, None, page_locale(request)),
        teams=await directory.list_teams(db, user.actor),
    )


@get("/admin/channels/{channel_id:uuid}", guards=[admins], name="admin-channel")
async def channel_page(
    request: Request,
    hub: NamedDependency[Hub],
    db: NamedDependency[AsyncSession],
    channel_id: FromPath[uuid.UUID],
) -> Template:
    user: CurrentUser = request.user
    channel = await channel_instances.get_channel(hub, channel_id)
    if channel is None:
        raise NotFoundException()
    spec = catalogue.spec(channel.kind.value)
    base = hub.settings.base_url.rstrip("/")
    phone = channel.kind is ChannelKind.PHONE
    return admin_render(
        request,
        "admin_channel.html",
        "channels",
        channel=channel,
        spec=spec,
        settings=settings_of(spec, dict(channel.config), page_locale(request)),
        teams=await directory.list_teams(db, user.actor),
        addresses=addresses(spec, base, channel),
        embed=(
            f'<script src="{base}/widget.js" data-channel="{channel.id}" async></script>'
            if channel.kind is ChannelKind.WEBCHAT
            else None
        ),
        demo_channel=await demo_chat_channel(db) if channel.kind is ChannelKind.WEBCHAT else None,
        extensions=await extensions.list_extensions(hub, user.actor, channel.id) if phone else [],
        staff=[
            u for u in await directory.list_users(db, user.actor) if u.is_active and u.role.value != "partner"
        ]
        if phone
        else [],
    )
