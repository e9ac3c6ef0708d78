"""What the composer leans on: drafts kept by the server, the Traffic-Cop rule for two agents
answering at once, and sending a failed reply again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.delivery import delivery
from hub.domain import ChannelKind, Role
from hub.models import Outbox, TicketDraft
from tests import factories
from tests.web.helpers import Cast, assert_problem

pytestmark = pytest.mark.anyio


async def _latest_event(client, ticket_id, headers) -> int:
    return max(
        e["id"] for e in (await client.get(f"/api/v1/tickets/{ticket_id}/events", headers=headers)).json()
    )


async def test_drafts_are_each_agents_own_and_go_when_sent(hub, client, cast: Cast) -> None:
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    ticket_id = (await factories.inbound(hub, channel.id)).ticket_id
    url = f"/api/v1/tickets/{ticket_id}/drafts"
    agent, supervisor = cast.as_(Role.AGENT), cast.as_(Role.SUPERVISOR)

    saved = await client.put(f"{url}/reply", json={"text": "您好，正在核实"}, headers=agent)
    assert saved.status_code == 200 and saved.json()["saved_at"] is not None
    await client.put(f"{url}/reply", json={"text": "您好，正在核实，明天答复"}, headers=agent)
    await client.put(f"{url}/note", json={"text": "等仓库确认"}, headers=agent)
    mine = {d["kind"]: d["text"] for d in (await client.get(url, headers=agent)).json()}
    assert mine == {"reply": "您好，正在核实，明天答复", "note": "等仓库确认"}
    assert (await client.get(url, headers=supervisor)).json() == [], "nobody reads another's draft"
    assert (await client.put(f"{url}/other", json={"text": "x"}, headers=agent)).status_code == 422
    assert (await client.get(url, headers=cast.as_(Role.PARTNER))).status_code == 403

    sent = await client.post(f"/api/v1/tickets/{ticket_id}/reply", json={"text": "明天答复"}, headers=agent)
    assert sent.status_code == 201
    assert [d["kind"] for d in (await client.get(url, headers=agent)).json()] == ["note"]
    cleared = await client.put(f"{url}/note", json={"text": "  "}, headers=agent)
    assert cleared.json()["saved_at"] is None
    assert await factories.count(hub, TicketDraft) == 0


async def test_a_reply_after_someone_else_answered_is_stopped_until_seen(hub, client, cast: Cast) -> None:
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    ticket_id = (await factories.inbound(hub, channel.id)).ticket_id
    agent, supervisor = cast.as_(Role.AGENT), cast.as_(Role.SUPERVISOR)
    reply = f"/api/v1/tickets/{ticket_id}/reply"
    seen = await _latest_event(client, ticket_id, agent)

    theirs = await client.post(reply, json={"text": "我来处理", "seen_event": seen}, headers=supervisor)
    assert theirs.status_code == 201
    stopped = assert_problem(
        await client.post(reply, json={"text": "我也来", "seen_event": seen}, headers=agent),
        409,
        "reply_collision",
    )
    assert stopped["message_ids"] == [theirs.json()["id"]] and stopped["by"] == [cast.supervisor.name]
    assert cast.supervisor.name in stopped["detail"]

    again = await client.post(
        reply, json={"text": "我也来", "seen_event": stopped["latest_event"]}, headers=agent
    )
    assert again.status_code == 201, "having seen it, the agent may send"
    mine = await client.post(
        reply, json={"text": "补充一句", "seen_event": stopped["latest_event"]}, headers=agent
    )
    assert mine.status_code == 201, "one's own replies since are no collision"


async def test_a_failed_reply_is_sent_again_from_its_ticket(hub, client, cast: Cast) -> None:
    erp = await factories.api_channel(hub)  # no callback_url: every delivery fails
    ticket_id = (await factories.inbound(hub, erp.channel.id, sender="erp-user-1")).ticket_id
    agent = cast.as_(Role.AGENT)
    sent = (
        await client.post(f"/api/v1/tickets/{ticket_id}/reply", json={"text": "已发货"}, headers=agent)
    ).json()
    retry = f"/api/v1/tickets/{ticket_id}/messages/{sent['id']}/retry"
    assert_problem(await client.post(retry, headers=agent), 409, "delivery_not_failed")

    async with hub.uow() as uow:
        outbox_id = await uow.session.scalar(sa.select(Outbox.id).where(Outbox.message_id == sent["id"]))
    assert outbox_id is not None and await delivery.deliver(hub, outbox_id) == "failed"
    assert (await client.post(retry, headers=cast.as_(Role.PARTNER))).status_code == 403

    again = await client.post(retry, headers=agent)
    assert again.status_code == 200 and again.json()["delivery_status"] == "queued"
    async with hub.uow() as uow:
        row = await uow.session.get(Outbox, outbox_id)
        assert row is not None and row.status.value == "pending" and row.attempts == 0
    audit = [a.action for a in await factories.audit_trail(hub, ticket_id)]
    assert "message.retried" in audit
    other = (await factories.inbound(hub, erp.channel.id, sender="erp-user-2")).ticket_id
    assert_problem(
        await client.post(f"/api/v1/tickets/{other}/messages/{sent['id']}/retry", headers=agent),
        404,
        "not_found",
    )


async def test_presence_lists_who_is_on_the_ticket_until_they_go(hub, client, cast: Cast) -> None:
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    ticket_id = (await factories.inbound(hub, channel.id)).ticket_id
    url = f"/api/v1/tickets/{ticket_id}/presence"
    agent, supervisor = cast.as_(Role.AGENT), cast.as_(Role.SUPERVISOR)

    assert [
        p["state"] for p in (await client.post(url, json={"state": "viewing"}, headers=agent)).json()
    ] == ["viewing"]
    both = (await client.post(url, json={"state": "noting"}, headers=supervisor)).json()
    assert {(p["name"], p["state"]) for p in both} == {
        (cast.agent.name, "viewing"),
        (cast.supervisor.name, "noting"),
    }
    left = (await client.post(url, json={"state": "gone"}, headers=agent)).json()
    assert [p["name"] for p in left] == [cast.supervisor.name]
    assert (await client.post(url, json={"state": "typing"}, headers=agent)).status_code == 422
    assert (
        await client.post(url, json={"state": "viewing"}, headers=cast.as_(Role.PARTNER))
    ).status_code == 403
