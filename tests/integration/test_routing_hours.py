"""Routing honours working hours: a team's calendar, read in each agent's own time zone."""

from __future__ import annotations

import pytest

from hub.accounts import users
from hub.actors import CLI
from hub.domain import ChannelKind, TicketEventKind
from hub.models import Ticket
from tests import factories
from tests.integration.sla_setup import sh

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

_senders = iter(range(10**6))


@pytest.fixture
def hub(clocked_hub):
    return clocked_hub


async def _route(hub, channel_id, domain: str = "walk-in.example") -> tuple:
    result = await factories.inbound(hub, channel_id, sender=f"c{next(_senders)}@{domain}")
    ticket = await factories.get(hub, Ticket, result.ticket_id)
    reasons = [
        e.data["reason"] for e in await factories.events(hub, ticket.id) if e.kind is TicketEventKind.ASSIGNED
    ]
    return ticket.assignee_id, reasons


@pytest.fixture
async def office(hub):
    """A team on the ``cn`` calendar with one agent, and its mailbox."""
    team = await factories.team(hub, calendar="cn")
    agent = await factories.user(hub, team_id=team.id)
    mailbox = await factories.channel(hub, ChannelKind.EMAIL, team_id=team.id)
    return team, agent, mailbox


@pytest.mark.parametrize(
    ("moment", "working"),
    [
        ("2026-03-04T10:00", True),  # a Wednesday morning
        ("2026-03-04T12:30", False),  # the lunch break
        ("2026-03-04T18:00", False),  # the end of the day (periods are [start, end))
        ("2026-03-07T10:00", False),  # a Saturday
        ("2026-02-14T10:00", True),  # a Saturday made a workday for the Spring Festival (调休)
        ("2026-02-18T10:00", False),  # a Wednesday inside the Spring Festival holiday
    ],
)
async def test_an_agent_gets_new_tickets_only_inside_the_teams_calendar(
    hub, clock, office, moment: str, working: bool
) -> None:
    _, agent, mailbox = office
    clock.at = sh(moment)
    assignee, reasons = await _route(hub, mailbox.id)
    assert assignee == (agent.id if working else None)
    assert reasons == (["least-loaded available agent of the team"] if working else [])


async def test_the_calendar_is_read_in_the_agents_own_time_zone(hub, clock, office) -> None:
    _, agent, mailbox = office
    await users.update_user(hub, CLI, agent.id, users.UserChanges(time_zone="Europe/Berlin"))
    clock.at = sh("2026-03-04T10:00")  # 03:00 in Berlin
    assert (await _route(hub, mailbox.id))[0] is None
    clock.at = sh("2026-03-04T17:00")  # 10:00 in Berlin
    assert (await _route(hub, mailbox.id))[0] == agent.id


async def test_a_team_without_a_calendar_works_around_the_clock(hub, clock) -> None:
    team = await factories.team(hub)
    agent = await factories.user(hub, team_id=team.id)
    chat = await factories.channel(hub, ChannelKind.WEBCHAT, team_id=team.id)
    clock.at = sh("2026-03-07T03:00")  # a Saturday night
    assert (await _route(hub, chat.id))[0] == agent.id


async def test_an_account_manager_off_duty_passes_the_ticket_to_the_backup(hub, clock, office) -> None:
    team, _, mailbox = office
    manager = await factories.user(hub, team_id=team.id)
    night_desk = await factories.team(hub)  # no calendar: always on
    backup = await factories.user(hub, team_id=night_desk.id)
    await factories.organization(hub, manager=manager.id, backup=backup.id, domains=["acme.cn"])
    clock.at = sh("2026-03-04T20:00")
    assignee, reasons = await _route(hub, mailbox.id, "acme.cn")
    assert assignee == backup.id
    assert reasons == ["backup: account manager outside working hours"]
    clock.at = sh("2026-03-05T09:30")
    assert (await _route(hub, mailbox.id, "acme.cn"))[0] == manager.id
