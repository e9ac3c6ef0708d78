"""Handing over a person's open tickets: core clients to their other manager, the rest to the queue."""

from __future__ import annotations

import pytest

from hub.accounts import accounts, users
from hub.actors import CLI
from hub.domain import ChannelKind, Presence, Role, TicketEventKind, TicketStatus, Tier
from hub.errors import Forbidden, NotFound
from hub.models import Ticket
from hub.tickets import reassignment, tickets
from tests import factories

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


@pytest.fixture
async def desk(hub):
    """A manager with a core client's ticket, a standard client's ticket and a resolved one."""
    team = await factories.team(hub)
    manager = await factories.user(hub, team_id=team.id)
    backup = await factories.user(hub, team_id=team.id, presence=Presence.AWAY)
    supervisor = await factories.user(hub, Role.SUPERVISOR, team_id=team.id, presence=Presence.AWAY)
    mailbox = await factories.channel(hub, ChannelKind.EMAIL, team_id=team.id)
    await factories.organization(
        hub, tier=Tier.CORE, manager=manager.id, backup=backup.id, domains=["core.cn"]
    )
    await factories.organization(hub, manager=manager.id, backup=backup.id, domains=["small.cn"])
    core = (await factories.inbound(hub, mailbox.id, sender="a@core.cn")).ticket_id
    small = (await factories.inbound(hub, mailbox.id, sender="b@small.cn")).ticket_id
    done = (await factories.inbound(hub, mailbox.id, sender="c@core.cn")).ticket_id
    await tickets.set_status(hub, factories.actor(manager), done, TicketStatus.RESOLVED)
    await accounts.set_presence(hub, CLI, backup.id, Presence.AVAILABLE)
    return {
        "manager": manager,
        "backup": backup,
        "supervisor": supervisor,
        "core": core,
        "small": small,
        "done": done,
    }


async def _assignee(hub, ticket_id):
    return (await factories.get(hub, Ticket, ticket_id)).assignee_id


async def _last_assignment(hub, ticket_id):
    kinds = (TicketEventKind.ASSIGNED, TicketEventKind.UNASSIGNED)
    return [e for e in await factories.events(hub, ticket_id) if e.kind in kinds][-1]


async def test_a_supervisor_hands_over_core_clients_to_the_backup_and_the_rest_to_the_queue(
    hub, desk
) -> None:
    assert {await _assignee(hub, desk[k]) for k in ("core", "small", "done")} == {desk["manager"].id}
    result = await reassignment.handover(
        hub, factories.actor(desk["supervisor"]), desk["manager"].id, reason="病假"
    )
    assert {m.ticket_id: m.assignee_id for m in result.moved} == {
        desk["core"]: desk["backup"].id,
        desk["small"]: None,
    }
    assert await _assignee(hub, desk["core"]) == desk["backup"].id
    assert await _assignee(hub, desk["small"]) is None
    assert await _assignee(hub, desk["done"]) == desk["manager"].id, "resolved tickets stay where they are"

    core_event = await _last_assignment(hub, desk["core"])
    assert core_event.kind is TicketEventKind.ASSIGNED
    assert core_event.data["reason"] == "handover: core client's other manager (病假)"
    assert core_event.actor_user_id == desk["supervisor"].id
    small_event = await _last_assignment(hub, desk["small"])
    assert small_event.kind is TicketEventKind.UNASSIGNED
    assert small_event.data["reason"] == "handover: back to the team queue (病假)"
    audit = [a for a in await factories.audit_trail(hub, desk["small"]) if a.action == "ticket.unassigned"]
    assert audit[-1].reason == small_event.data["reason"]
    (summary,) = [
        a for a in await factories.audit_trail(hub, desk["manager"].id) if a.action == "user.handed_over"
    ]
    assert summary.after == {"tickets": 2, "to_managers": 1} and summary.reason == "病假"


async def test_a_backup_who_cannot_take_it_leaves_the_core_ticket_in_the_queue(hub, desk) -> None:
    await accounts.set_presence(hub, CLI, desk["backup"].id, Presence.OFFLINE)
    result = await reassignment.handover(hub, factories.actor(desk["supervisor"]), desk["manager"].id)
    assert {m.assignee_id for m in result.moved} == {None}
    assert "asked by a supervisor" in result.moved[0].reason


async def test_the_backup_leaving_hands_core_tickets_to_the_account_manager(hub, desk) -> None:
    await tickets.assign(hub, CLI, desk["core"], desk["backup"].id)
    result = await reassignment.handover(hub, CLI, desk["backup"].id)
    assert [(m.ticket_id, m.assignee_id) for m in result.moved] == [(desk["core"], desk["manager"].id)]


async def test_deactivation_hands_everything_over_automatically(hub, desk) -> None:
    await users.update_user(hub, CLI, desk["manager"].id, users.UserChanges(is_active=False))
    assert await _assignee(hub, desk["core"]) == desk["backup"].id
    assert await _assignee(hub, desk["small"]) is None
    assert (await _last_assignment(hub, desk["small"])).data[
        "reason"
    ] == "handover: back to the team queue (deactivated)"


async def test_presence_changes_alone_never_move_tickets(hub, desk) -> None:
    manager = factories.actor(desk["manager"])
    for presence in (Presence.AWAY, Presence.OFFLINE):
        await users.update_profile(hub, manager, users.ProfileChanges(presence=presence))
    assert await _assignee(hub, desk["core"]) == desk["manager"].id
    assert await _assignee(hub, desk["small"]) == desk["manager"].id


async def test_only_supervisors_and_admins_hand_over_and_partners_are_not_found(hub, desk) -> None:
    agent = await factories.user(hub)
    with pytest.raises(Forbidden):
        await reassignment.handover(hub, factories.actor(agent), desk["manager"].id)
    org = await factories.organization(hub)
    partner = await factories.user(hub, Role.PARTNER, organization_id=org.id)
    with pytest.raises(NotFound):
        await reassignment.handover(hub, factories.actor(desk["supervisor"]), partner.id)
