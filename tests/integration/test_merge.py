"""Ticket merge, split and their undoing, through the API: what moves, what the lists and counts
show, the clocks, the audit trail, who may do it, and where later traffic lands."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from hub.core import Hub
from hub.domain import ChannelKind, Role, TicketEventKind, TicketStatus
from hub.models import Message, Ticket, TicketSla
from tests import factories

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def _ticket(hub: Hub, channel_id: uuid.UUID, text: str, sender: str = "li@client.cn") -> Ticket:
    result = await factories.inbound(hub, channel_id, sender=sender, subject=text, text=text)
    assert result.ticket_id is not None
    return await factories.get(hub, Ticket, result.ticket_id)


async def _message_ids(hub: Hub, ticket_id: uuid.UUID) -> set[uuid.UUID]:
    async with hub.uow() as uow:
        return set(await uow.session.scalars(sa.select(Message.id).where(Message.ticket_id == ticket_id)))


async def _listed(client, headers: dict[str, str], **params: str) -> list[str]:
    response = await client.get("/api/v1/tickets", params={"limit": 200, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


@pytest.fixture
async def pair(hub: Hub):
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    first = await _ticket(hub, channel.id, "订单 A-1 还没到")
    second = await _ticket(hub, channel.id, "物流查询 A-1", sender="wang@client.cn")
    await factories.inbound(
        hub, channel.id, sender="wang@client.cn", text="还有发票", reply_token=second.reply_token
    )
    assert first.id != second.id
    return channel, first, second


async def test_a_merge_moves_the_messages_hides_the_source_and_a_supervisor_undoes_it(
    client, hub, pair
) -> None:
    _, target, source = pair
    agent = await factories.user(hub, Role.AGENT)
    supervisor = await factories.user(hub, Role.SUPERVISOR)
    staff = await factories.login(client, agent)
    moved = await _message_ids(hub, source.id)
    kept = await _message_ids(hub, target.id)
    assert len(moved) >= 2  # the client's two messages (and the mailbox's acknowledgement)

    answer = await client.post(
        f"/api/v1/tickets/{source.id}/merge",
        json={"into": str(target.id), "reason": "同一订单"},
        headers=staff,
    )
    assert answer.status_code == 200, answer.text
    merge_id = answer.json()["id"]
    assert set(answer.json()["message_ids"]) == {str(m) for m in moved}
    assert await _message_ids(hub, target.id) == kept | moved
    assert await _message_ids(hub, source.id) == set()
    merged = await factories.get(hub, Ticket, source.id)
    assert merged.merged_into_id == target.id and merged.status is TicketStatus.CLOSED
    # Out of every list and count, the "all" list included; the target is still there.
    assert str(source.id) not in await _listed(client, staff)
    assert str(source.id) not in await _listed(client, staff, status="closed")
    assert str(target.id) in await _listed(client, staff, q="发票")  # the moved message's word
    # The merge ended the source's clock cycle without resolving it.
    kinds = [e.kind for e in await factories.events(hub, source.id)]
    assert TicketEventKind.MERGED in kinds and TicketEventKind.RESOLVED not in kinds
    assert TicketEventKind.MERGED_IN in [e.kind for e in await factories.events(hub, target.id)]
    clock = await factories.get(hub, TicketSla, source.id)
    assert clock.first_response_state != "active" and clock.next_due_at is None
    trail = await factories.audit_trail(hub, source.id)
    merged_line = next(line for line in trail if line.action == "ticket.merged")
    assert merged_line.actor_user_id == agent.id and merged_line.reason == "同一订单"
    assert merged_line.after["merged_into_id"] == str(target.id)

    # Agents cannot undo; a supervisor can, once.
    refused = await client.post(f"/api/v1/tickets/merges/{merge_id}/undo", json={}, headers=staff)
    assert refused.status_code == 403
    boss = await factories.login(client, supervisor)
    undone = await client.post(
        f"/api/v1/tickets/merges/{merge_id}/undo", json={"reason": "搞错了"}, headers=boss
    )
    assert undone.status_code == 200, undone.text
    assert undone.json()["undone_by_id"] == str(supervisor.id)
    again = await client.post(f"/api/v1/tickets/merges/{merge_id}/undo", json={}, headers=boss)
    assert again.status_code == 409
    assert await _message_ids(hub, source.id) == moved
    assert await _message_ids(hub, target.id) == kept
    back = await factories.get(hub, Ticket, source.id)
    assert back.merged_into_id is None and back.status is TicketStatus.NEW and back.closed_at is None
    assert str(source.id) in await _listed(client, staff, status="new")
    # A new clock cycle, as when an agent reopens a ticket.
    assert (await factories.get(hub, TicketSla, source.id)).cycle == 2
    actions = [line.action for line in await factories.audit_trail(hub, source.id)]
    assert actions[-1] == "ticket.unmerged"
    history = await client.get(f"/api/v1/tickets/{target.id}/merges", headers=staff)
    assert [m["id"] for m in history.json()] == [merge_id]


async def test_a_reply_to_the_merged_tickets_mail_lands_on_the_ticket_it_went_into(client, hub, pair) -> None:
    channel, target, source = pair
    agent = await factories.user(hub, Role.AGENT)
    staff = await factories.login(client, agent)
    answer = await client.post(
        f"/api/v1/tickets/{source.id}/merge", json={"into": str(target.id)}, headers=staff
    )
    assert answer.status_code == 200
    later = await factories.inbound(
        hub, channel.id, sender="wang@client.cn", text="到了吗", reply_token=source.reply_token
    )
    assert later.ticket_id == target.id
    assert (await factories.get(hub, Ticket, source.id)).status is TicketStatus.CLOSED


async def test_merging_refuses_itself_a_merged_ticket_and_a_partner(client, hub, pair) -> None:
    _, target, source = pair
    agent = await factories.user(hub, Role.AGENT)
    partner = await factories.user(hub, Role.PARTNER, organization_id=(await factories.organization(hub)).id)
    staff = await factories.login(client, agent)
    itself = await client.post(
        f"/api/v1/tickets/{source.id}/merge",
        json={"into": str(source.id)},
        headers={**staff, "Accept-Language": "zh-CN"},
    )
    assert itself.status_code == 422 and "不能合并到自身" in itself.json()["detail"]
    assert (
        await client.post(f"/api/v1/tickets/{source.id}/merge", json={"into": str(target.id)}, headers=staff)
    ).status_code == 200
    twice = await client.post(
        f"/api/v1/tickets/{target.id}/merge", json={"into": str(source.id)}, headers=staff
    )
    assert twice.status_code == 409
    outsider = await factories.login(client, partner)
    assert (
        await client.post(
            f"/api/v1/tickets/{target.id}/merge", json={"into": str(source.id)}, headers=outsider
        )
    ).status_code == 403


async def test_a_split_makes_a_ticket_of_one_message_with_its_own_clock_and_undoing_folds_it_back(
    client, hub, pair
) -> None:
    _, _, ticket = pair
    agent = await factories.user(hub, Role.AGENT)
    supervisor = await factories.user(hub, Role.SUPERVISOR)
    staff = await factories.login(client, agent)
    async with hub.uow() as uow:
        second = await uow.session.scalar(
            sa.select(Message)
            .where(Message.ticket_id == ticket.id)
            .order_by(Message.created_at.desc())
            .limit(1)
        )
    assert second is not None
    answer = await client.post(
        f"/api/v1/tickets/{ticket.id}/split",
        json={"message_id": str(second.id), "subject": "发票问题"},
        headers=staff,
    )
    assert answer.status_code == 201, answer.text
    new_id = uuid.UUID(answer.json()["ticket"]["id"])
    assert answer.json()["ticket"]["subject"] == "发票问题"
    assert await _message_ids(hub, new_id) == {second.id}
    assert second.id not in await _message_ids(hub, ticket.id)
    clock = await factories.get(hub, TicketSla, new_id)
    assert clock.first_response_state == "active"  # the client's question waits for its answer
    assert [line.action for line in await factories.audit_trail(hub, ticket.id)][-1] == "ticket.split"
    # The only message left cannot be split out.
    (only,) = await _message_ids(hub, new_id)
    alone = await client.post(
        f"/api/v1/tickets/{new_id}/split", json={"message_id": str(only)}, headers=staff
    )
    assert alone.status_code == 422

    boss = await factories.login(client, supervisor)
    undone = await client.post(
        f"/api/v1/tickets/merges/{answer.json()['merge']['id']}/undo", json={}, headers=boss
    )
    assert undone.status_code == 200, undone.text
    assert second.id in await _message_ids(hub, ticket.id)
    assert (await factories.get(hub, Ticket, new_id)).merged_into_id == ticket.id
    assert str(new_id) not in await _listed(client, staff)


async def test_bulk_actions_change_exactly_the_selected_tickets_each_audited(client, hub) -> None:
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    tickets = [await _ticket(hub, channel.id, f"问题 {n}", sender=f"c{n}@client.cn") for n in range(5)]
    agent = await factories.user(hub, Role.AGENT)
    other = await factories.user(hub, Role.AGENT)
    staff = await factories.login(client, agent)
    chosen = [tickets[0].id, tickets[2].id, tickets[3].id]
    answer = await client.post(
        "/api/v1/tickets/bulk",
        json={
            "ticket_ids": [str(t) for t in [*chosen, chosen[0]]],
            "action": "assign",
            "assignee_id": str(other.id),
        },
        headers=staff,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["selected"] == 3 and answer.json()["changed"] == 3
    for ticket in tickets:
        row = await factories.get(hub, Ticket, ticket.id)
        assert (row.assignee_id == other.id) is (ticket.id in chosen)
        actions = [line.action for line in await factories.audit_trail(hub, ticket.id)]
        assert ("ticket.assigned" in actions) is (ticket.id in chosen)

    tags = await client.post(
        "/api/v1/tickets/bulk",
        json={"ticket_ids": [str(tickets[1].id)], "action": "tags", "add_tags": ["VIP"]},
        headers=staff,
    )
    assert tags.json()["changed"] == 1 and (await factories.get(hub, Ticket, tickets[1].id)).tags == ["vip"]

    # A move one ticket cannot make is reported in the reader's language; the others still move.
    closed = await client.post(
        "/api/v1/tickets/bulk",
        json={"ticket_ids": [str(tickets[4].id)], "action": "status", "status": "closed"},
        headers=staff,
    )
    assert closed.json()["changed"] == 1
    mixed = await client.post(
        "/api/v1/tickets/bulk",
        json={
            "ticket_ids": [str(tickets[4].id), str(tickets[1].id)],
            "action": "status",
            "status": "pending",
        },
        headers={**staff, "Accept-Language": "zh-CN"},
    )
    assert mixed.json()["done"] == [str(tickets[1].id)]
    (refusal,) = mixed.json()["refused"]
    assert refusal["ticket_id"] == str(tickets[4].id) and refusal["code"] == "invalid_transition"
    assert "工单不能从" in refusal["detail"]

    merged = await client.post(
        "/api/v1/tickets/bulk",
        json={"ticket_ids": [str(t) for t in chosen], "action": "merge", "into": str(chosen[0])},
        headers=staff,
    )
    assert merged.json()["changed"] == 2
    listed = [item["id"] for item in (await client.get("/api/v1/tickets", headers=staff)).json()["items"]]
    assert str(chosen[0]) in listed and str(chosen[1]) not in listed and str(chosen[2]) not in listed
    needs = await client.post(
        "/api/v1/tickets/bulk",
        json={"ticket_ids": [str(tickets[1].id)], "action": "merge", "into": str(tickets[1].id)},
        headers=staff,
    )
    assert needs.status_code == 422
