"""The web-chat kind at run time: what its routes, socket and sender share in one process."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlalchemy as sa

from channels.spec import Connection, Resources
from channels.webchat.availability import Availability
from channels.webchat.limits import Limits
from channels.webchat.live import Presence as VisitorPresence
from channels.webchat.spec import WebchatSettings, channel_secret, widget_settings
from hub.domain import ChannelKind, Presence, Role
from hub.errors import NotFound
from hub.models import Channel, User

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from hub.core import Hub

#: How long a channel's settings, and whether it is online, are reused before being read again:
#: every visitor's request needs them, and an admin's change may take this long to show.
CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class WidgetChannel:
    id: uuid.UUID
    name: str
    team_id: uuid.UUID | None
    settings: WebchatSettings
    secret: str | None


@dataclass
class WebchatConnection(Connection):
    resources: Resources | None = None
    limits: Limits | None = None
    presence: VisitorPresence | None = None
    availability: Availability = field(default_factory=Availability)
    _channels: dict[uuid.UUID, tuple[float, WidgetChannel]] = field(default_factory=dict)
    _online: dict[uuid.UUID, tuple[float, bool]] = field(default_factory=dict)

    @classmethod
    def build(cls, resources: Resources) -> WebchatConnection:
        from channels.webchat import context, sender, typing

        connection = cls(
            resources=resources, limits=Limits(resources.redis), presence=VisitorPresence(resources.redis)
        )
        connection.sender = sender.WebchatSender(connection)
        connection.typing = lambda hub, ticket_id, on, name: typing.agent_typing(
            connection, hub, ticket_id, on, name
        )
        connection.context = lambda hub, ticket_id: context.visitor_context(connection, hub, ticket_id)
        return connection

    @property
    def redis(self) -> Redis:
        assert self.resources is not None
        return self.resources.redis

    @property
    def master_key(self) -> str:
        assert self.resources is not None
        return self.resources.settings.secret_key

    @property
    def hub(self) -> Hub | None:
        return self.resources.hub if self.resources is not None else None

    async def channel(self, hub: Hub, channel_id: uuid.UUID) -> WidgetChannel:
        """The active web-chat channel ``channel_id``, or :class:`NotFound`."""
        now = time.monotonic()
        cached = self._channels.get(channel_id)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        async with hub.session_factory() as session:
            row = await session.get(Channel, channel_id)
        if row is None or row.kind is not ChannelKind.WEBCHAT or not row.is_active:
            raise NotFound(what="channel")
        found = WidgetChannel(
            id=row.id,
            name=row.name,
            team_id=row.team_id,
            settings=widget_settings(row.config),
            secret=channel_secret(self.master_key, row.id, row.config),
        )
        self._channels[channel_id] = (now, found)
        return found

    async def online(self, hub: Hub, channel: WidgetChannel) -> bool:
        """Inside the channel's business hours and someone of its team (anyone, without a team)
        is available."""
        now = time.monotonic()
        cached = self._online.get(channel.id)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        online = await _online(hub, channel)
        self._online[channel.id] = (now, online)
        return online

    async def online_now(self, hub: Hub, channel_id: uuid.UUID) -> bool:
        """:meth:`online`, looked at again (for the open sockets' timer); a channel
        deactivated meanwhile is offline."""
        try:
            channel = await self.channel(hub, channel_id)
        except NotFound:
            return False
        online = await _online(hub, channel)
        self._online[channel_id] = (time.monotonic(), online)
        return online


async def _online(hub: Hub, channel: WidgetChannel) -> bool:
    from hub.calendars import service as calendars
    from hub.calendars.arithmetic import is_working

    async with hub.session_factory() as session:
        if channel.settings.calendar:
            try:
                calendar = await calendars.calendar_in(session, channel.settings.calendar)
            except NotFound:
                calendar = None
            if calendar is not None and not is_working(calendar, hub.clock.now()):
                return False
        staff = sa.select(User.id).where(
            User.is_active,
            User.presence == Presence.AVAILABLE,
            User.role.in_([Role.AGENT, Role.SUPERVISOR, Role.ADMIN]),
        )
        if channel.team_id is not None:
            staff = staff.where(User.team_id == channel.team_id)
        return await session.scalar(staff.limit(1)) is not None
