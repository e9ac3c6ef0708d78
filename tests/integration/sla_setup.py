"""A small helpdesk for the SLA tests: a team with an agent and its lead, a channel of each kind."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from hub.core import Hub
from hub.domain import ChannelKind, Presence, Role
from hub.models import Channel, Team, TicketSla, User
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")


def sh(text: str) -> datetime:
    """Shanghai wall time."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def local(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M:%S")


@dataclass
class Desk:
    team: Team
    agent: User
    lead: User
    other_agent: User
    channels: dict[ChannelKind, Channel]

    async def message(
        self, hub: Hub, kind: ChannelKind, sender: str = "client-1", **fields: object
    ) -> uuid.UUID:
        result = await factories.inbound(hub, self.channels[kind].id, sender=sender, **fields)
        return result.ticket_id


async def desk(hub: Hub) -> Desk:
    """New tickets go to ``agent``: the lead and the other agent are away, so routing passes them by."""
    team = await factories.team(hub)
    agent = await factories.user(hub, Role.AGENT, team_id=team.id)
    lead = await factories.user(hub, Role.SUPERVISOR, team_id=team.id, presence=Presence.AWAY)
    other = await factories.user(hub, Role.AGENT, presence=Presence.AWAY)
    channels = {kind: await factories.channel(hub, kind, team_id=team.id) for kind in ChannelKind}
    return Desk(team=team, agent=agent, lead=lead, other_agent=other, channels=channels)


async def clocks(hub: Hub, ticket_id: uuid.UUID) -> TicketSla:
    return await factories.get(hub, TicketSla, ticket_id)
