"""A phone line as the call rules see it: its numbers, its region and who answers each extension."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa

from channels.phone.numbers import Number, looks_like_extension, read
from hub.core import Hub
from hub.domain import ChannelKind
from hub.errors import InvalidInput, NotFound
from hub.models import Channel, PhoneExtension, User

DEFAULT_REGION = "CN"


@dataclass(frozen=True, slots=True)
class Agent:
    user_id: uuid.UUID
    extension: str
    #: Kept on every call record, so a call stays readable after its user is gone.
    name: str
    email: str


@dataclass(frozen=True)
class Line:
    channel_id: uuid.UUID
    region: str = DEFAULT_REGION
    #: The line's own numbers, in E.164 (and as given, for numbers that are not).
    numbers: frozenset[str] = frozenset()
    extensions: Mapping[str, Agent] = field(default_factory=dict)

    def is_ours(self, number: Number) -> bool:
        return number.value in self.numbers or number.given in self.numbers

    def agent(self, text: str | None) -> Agent | None:
        return self.extensions.get((text or "").strip())

    def is_extension(self, number: Number) -> bool:
        """A mapped extension, or a short internal number nobody mapped yet."""
        return number.given in self.extensions or (number.e164 is None and looks_like_extension(number.given))


async def load(hub: Hub, channel_id: uuid.UUID) -> Line:
    """The phone channel ``channel_id`` as a :class:`Line` (``NotFound`` when it is no phone line)."""
    async with hub.uow() as uow:
        channel = await uow.session.get(Channel, channel_id)
        if channel is None:
            raise NotFound(what="channel")
        if channel.kind is not ChannelKind.PHONE:
            raise InvalidInput(
                detail=f"channel {channel_id} is a {channel.kind.value} channel, not a phone line"
            )
        rows = await uow.session.execute(
            sa.select(PhoneExtension.extension, User.id, User.name, User.email)
            .join(User, User.id == PhoneExtension.user_id)
            .where(PhoneExtension.channel_id == channel_id)
        )
        extensions = {ext: Agent(user_id, ext, name or email, email) for ext, user_id, name, email in rows}
    region = str(channel.config.get("region") or DEFAULT_REGION)
    own: set[str] = set()
    for given in channel.config.get("numbers") or ():
        number = read(str(given), region)
        own.update({number.value, number.given})
    return Line(channel_id=channel_id, region=region, numbers=frozenset(own), extensions=extensions)
