"""Moving a ticket's status through the API: allowed moves and their events, refused moves as 409."""

from __future__ import annotations

import pytest

from hub.domain import ChannelKind, OrganizationKind, Role, TicketEventKind, TicketStatus
from hub.models import Ticket
from tests import factories

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

K = TicketEventKind


@pytest.fixture
async def setup(hub, client):
    agent = await factories.user(hub, Role.AGENT)
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    result = await factories.inbound(hub, channel.id)
    headers = await factories.login(client, agent)
    return agent, result.ticket_id, headers


async def _move(client, headers, ticket_id, status: str, **extra_headers: str):
    return await client.post(
        f"/api/v1/tickets/{ticket_id}/status", json={"status": status}, headers={**headers, **extra_headers}
    )


async def test_an_allowed_move_answers_the_ticket_and_logs_its_events(client, hub, setup) -> None:
    _, ticket_id, headers = setup
    before = len(await factories.events(hub, ticket_id))
    response = await _move(client, headers, ticket_id, "pending")
    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    new = (await factories.events(hub, ticket_id))[before:]
    assert [e.kind for e in new] == [K.STATUS_CHANGED, K.PENDING_ON]
    assert new[0].data == {"previous": "new", "status": "pending"}
    audit = [a for a in await factories.audit_trail(hub, ticket_id) if a.action == "ticket.status_changed"]
    assert audit[-1].before == {"status": "new"} and audit[-1].after == {"status": "pending"}


async def test_closing_an_open_ticket_resolves_it_too(client, hub, setup) -> None:
    _, ticket_id, headers = setup
    assert (await _move(client, headers, ticket_id, "open")).status_code == 200
    before = len(await factories.events(hub, ticket_id))
    assert (await _move(client, headers, ticket_id, "closed")).status_code == 200
    new = [e.kind for e in (await factories.events(hub, ticket_id))[before:]]
    assert new == [K.STATUS_CHANGED, K.RESOLVED, K.CLOSED]
    ticket = await factories.get(hub, Ticket, ticket_id)
    assert ticket.resolved_at is not None and ticket.closed_at is not None


async def test_reopening_counts(client, hub, setup) -> None:
    _, ticket_id, headers = setup
    for status in ("resolved", "open", "closed", "open"):
        assert (await _move(client, headers, ticket_id, status)).status_code == 200
    ticket = await factories.get(hub, Ticket, ticket_id)
    assert ticket.reopen_count == 2 and ticket.resolved_at is None and ticket.closed_at is None
    assert [e.kind for e in await factories.events(hub, ticket_id)].count(K.REOPENED) == 2


@pytest.mark.parametrize(
    ("path", "target"),
    [
        (["closed"], "resolved"),
        (["closed"], "pending"),
        (["resolved"], "pending"),
        (["open"], "new"),
        (["pending"], "new"),
    ],
)
async def test_a_refused_move_answers_409_and_changes_nothing(
    client, hub, setup, path: list[str], target: str
) -> None:
    _, ticket_id, headers = setup
    for status in path:
        assert (await _move(client, headers, ticket_id, status)).status_code == 200
    before = await factories.events(hub, ticket_id)
    response = await _move(client, headers, ticket_id, target)
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "invalid_transition"
    assert body["detail"] == f"A ticket cannot go from {path[-1]} to {target}."
    assert (await factories.get(hub, Ticket, ticket_id)).status is TicketStatus(path[-1])
    assert len(await factories.events(hub, ticket_id)) == len(before)


async def test_the_refusal_is_translated(client, setup) -> None:
    _, ticket_id, headers = setup
    await _move(client, headers, ticket_id, "closed")
    response = await _move(client, headers, ticket_id, "resolved", **{"Accept-Language": "zh-CN,zh;q=0.9"})
    assert response.status_code == 409
    assert response.json()["detail"] == "工单不能从“已关闭”变为“已解决”。"
    assert response.json()["title"] == "冲突"


async def test_moving_to_the_current_status_is_a_no_op(client, hub, setup) -> None:
    _, ticket_id, headers = setup
    before = len(await factories.events(hub, ticket_id))
    response = await _move(client, headers, ticket_id, "new")
    assert response.status_code == 200
    assert len(await factories.events(hub, ticket_id)) == before


async def test_an_unknown_status_is_a_validation_error(client, setup) -> None:
    _, ticket_id, headers = setup
    response = await _move(client, headers, ticket_id, "archived")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert "status" in response.json()["detail"]


async def test_partners_cannot_move_tickets(client, hub, setup) -> None:
    _, ticket_id, _ = setup
    org = await factories.organization(hub, kind=OrganizationKind.PARTNER)
    partner = await factories.user(hub, Role.PARTNER, organization_id=org.id)
    headers = await factories.login(client, partner)
    response = await _move(client, headers, ticket_id, "resolved")
    assert response.status_code == 403
    assert (await factories.get(hub, Ticket, ticket_id)).status is TicketStatus.NEW
