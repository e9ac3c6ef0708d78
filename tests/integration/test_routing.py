"""Routing of new tickets against the real database: managers, backups, team load and round-robin."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

import pytest

from hub.core import Hub
from hub.domain import ChannelKind, Presence, Role, TicketEventKind, TicketStatus
from hub.intake.inbound import IngestResult
from hub.models import Ticket, User
from hub.tickets import tickets
from tests import factories

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

_senders = iter(range(10**6))


async def _new_ticket(hub: Hub, channel_id: uuid.UUID, domain: str = "walk-in.example") -> IngestResult:
    result = await factories.inbound(hub, channel_id, sender=f"client{next(_senders)}@{domain}")
    assert result.created_ticket
    return result


async def _assignee(hub: Hub, result: IngestResult) -> uuid.UUID | None:
    return (await factories.get(hub, Ticket, result.ticket_id)).assignee_id


async def _assert_assigned(hub: Hub, result: IngestResult, user_id: uuid.UUID, reason: str) -> None:
    """The assignee, an ``assigned`` event and an audit row, all with the same reason."""
    assert await _assignee(hub, result) == user_id
    assigned = [
        e for e in await factories.events(hub, result.ticket_id) if e.kind is TicketEventKind.ASSIGNED
    ]
    assert len(assigned) == 1
    assert assigned[0].data["assignee_id"] == str(user_id)
    assert reason in assigned[0].data["reason"]
    audit = [a for a in await factories.audit_trail(hub, result.ticket_id) if a.action == "ticket.assigned"]
    assert len(audit) == 1
    assert audit[0].after == {"assignee_id": str(user_id)}
    assert audit[0].reason == assigned[0].data["reason"]


async def _acme(
    hub: Hub, manager: dict[str, Any] | None = None, backup: dict[str, Any] | None = None
) -> tuple[User, User]:
    """New users as acme.cn's account manager and its backup, made with these ``factories.user`` fields."""
    manager_user = await factories.user(hub, **(manager or {}))
    backup_user = await factories.user(hub, **(backup or {}))
    await factories.organization(hub, manager=manager_user.id, backup=backup_user.id, domains=["acme.cn"])
    return manager_user, backup_user


@pytest.fixture
async def team(hub: Hub):
    return await factories.team(hub)


@pytest.fixture
async def mailbox(hub: Hub, team):
    return await factories.channel(hub, ChannelKind.EMAIL, team_id=team.id)


async def test_a_clients_ticket_goes_to_the_account_manager(hub, team, mailbox) -> None:
    await factories.user(hub, team_id=team.id)  # an idle team agent does not take it
    manager, _ = await _acme(hub)
    result = await _new_ticket(hub, mailbox.id, "acme.cn")
    await _assert_assigned(hub, result, manager.id, "account manager")


async def test_the_backup_takes_it_when_the_manager_is_away(hub, team, mailbox) -> None:
    await factories.user(hub, team_id=team.id)
    _, backup = await _acme(hub, {"presence": Presence.AWAY})
    result = await _new_ticket(hub, mailbox.id, "acme.cn")
    await _assert_assigned(hub, result, backup.id, "away")


async def test_the_backup_takes_it_when_the_manager_is_at_capacity(hub, team, mailbox) -> None:
    manager, backup = await _acme(hub, {"capacity": 2})
    first = await _new_ticket(hub, mailbox.id, "acme.cn")
    second = await _new_ticket(hub, mailbox.id, "acme.cn")
    third = await _new_ticket(hub, mailbox.id, "acme.cn")
    assert [await _assignee(hub, r) for r in (first, second)] == [manager.id, manager.id]
    await _assert_assigned(hub, third, backup.id, "capacity")


async def test_resolved_tickets_do_not_count_against_capacity(hub, team, mailbox) -> None:
    manager, _ = await _acme(hub, {"capacity": 1})
    first = await _new_ticket(hub, mailbox.id, "acme.cn")
    await tickets.set_status(hub, factories.actor(manager), first.ticket_id, TicketStatus.RESOLVED)
    second = await _new_ticket(hub, mailbox.id, "acme.cn")
    assert await _assignee(hub, second) == manager.id


async def test_the_team_takes_it_when_manager_and_backup_cannot(hub, team, mailbox) -> None:
    agent = await factories.user(hub, team_id=team.id)
    await _acme(hub, {"presence": Presence.OFFLINE}, {"presence": Presence.AWAY})
    result = await _new_ticket(hub, mailbox.id, "acme.cn")
    await _assert_assigned(hub, result, agent.id, "least-loaded")


async def test_the_least_loaded_available_agent_of_the_channels_team_gets_it(hub, team, mailbox) -> None:
    busy = await factories.user(hub, team_id=team.id)
    idle_but_away = await factories.user(hub, team_id=team.id, presence=Presence.AWAY)
    other_team = await factories.team(hub)
    await factories.user(hub, team_id=other_team.id)  # idle, but not this channel's team
    for _ in range(2):
        assert await _assignee(hub, await _new_ticket(hub, mailbox.id)) == busy.id
    light = await factories.user(hub, team_id=team.id)
    result = await _new_ticket(hub, mailbox.id)
    await _assert_assigned(hub, result, light.id, "least-loaded")
    assert idle_but_away.id not in {
        await _assignee(hub, await _new_ticket(hub, mailbox.id)) for _ in range(3)
    }


async def test_partners_and_admins_in_the_team_get_no_tickets(hub, team, mailbox) -> None:
    await factories.user(hub, Role.ADMIN, team_id=team.id)
    supervisor = await factories.user(hub, Role.SUPERVISOR, team_id=team.id)
    result = await _new_ticket(hub, mailbox.id)
    assert await _assignee(hub, result) == supervisor.id


async def test_equal_loads_rotate_to_whoever_was_assigned_longest_ago(
    clocked_hub, clock, team, mailbox
) -> None:
    hub = clocked_hub
    agents = [await factories.user(hub, team_id=team.id) for _ in range(3)]
    picked = []
    for _ in range(6):
        clock.advance(minutes=5)
        result = await _new_ticket(hub, mailbox.id)
        assignee = await _assignee(hub, result)
        picked.append(assignee)
        # Resolve it at once so every agent's load is back to zero: only the rotation decides.
        await tickets.set_status(hub, factories.actor(agents[0]), result.ticket_id, TicketStatus.RESOLVED)
    assert set(picked[:3]) == {a.id for a in agents}
    assert picked[3:] == picked[:3]


async def test_nobody_available_leaves_the_ticket_unassigned(hub, team, mailbox) -> None:
    await factories.user(hub, team_id=team.id, presence=Presence.OFFLINE)
    await factories.user(hub, team_id=team.id, capacity=1)
    manager = await factories.user(hub, presence=Presence.AWAY)
    await factories.organization(hub, manager=manager.id, domains=["acme.cn"])
    await _new_ticket(hub, mailbox.id)  # fills the one agent with room
    result = await _new_ticket(hub, mailbox.id, "acme.cn")
    assert await _assignee(hub, result) is None
    kinds = [e.kind for e in await factories.events(hub, result.ticket_id)]
    assert TicketEventKind.ASSIGNED not in kinds
    ticket = await factories.get(hub, Ticket, result.ticket_id)
    assert ticket.status is TicketStatus.NEW and ticket.team_id == team.id


async def test_a_channel_without_a_team_leaves_the_walk_in_ticket_unassigned(hub) -> None:
    await factories.user(hub)
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    assert await _assignee(hub, await _new_ticket(hub, channel.id)) is None


async def test_simultaneous_tickets_spread_over_the_team(hub, team, mailbox) -> None:
    """Routing is serialised per team, so tickets arriving together see each other's load."""
    agents = [await factories.user(hub, team_id=team.id) for _ in range(3)]
    results = await asyncio.gather(*(_new_ticket(hub, mailbox.id) for _ in range(9)))
    loads = Counter([await _assignee(hub, r) for r in results])
    assert loads == {a.id: 3 for a in agents}


async def test_simultaneous_tickets_never_push_a_manager_past_capacity(hub, team, mailbox) -> None:
    manager, backup = await _acme(hub, {"capacity": 2}, {"capacity": 2})
    agent = await factories.user(hub, team_id=team.id)
    results = await asyncio.gather(*(_new_ticket(hub, mailbox.id, "acme.cn") for _ in range(6)))
    loads = Counter([await _assignee(hub, r) for r in results])
    assert loads == {manager.id: 2, backup.id: 2, agent.id: 2}
