"""Manual reassignment over HTTP: every move is an event and an audit line carrying its reason."""

from __future__ import annotations

import pytest

from hub.accounts import users
from hub.actors import CLI
from hub.domain import ChannelKind, Role
from tests import factories
from tests.web.helpers import assert_problem

pytestmark = pytest.mark.anyio


async def test_reassigning_by_hand_is_audited_with_its_reason(hub, client, cast) -> None:
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    ticket_id = (await factories.inbound(hub, channel.id)).ticket_id
    url = f"/api/v1/tickets/{ticket_id}/assign"
    agent = cast.as_(Role.AGENT)
    body = {"assignee_id": str(cast.supervisor.id), "reason": "需要主管处理"}
    response = await client.post(url, json=body, headers=agent)
    assert response.status_code == 200 and response.json()["assignee_id"] == str(cast.supervisor.id)
    assert (
        await client.post(url, json={"assignee_id": str(cast.agent.id)}, headers=agent)
    ).status_code == 200
    assert (
        await client.post(url, json={"assignee_id": None, "reason": "回到队列"}, headers=agent)
    ).status_code == 200

    events = (await client.get(f"/api/v1/tickets/{ticket_id}/events", headers=agent)).json()
    moves = [
        (e["kind"], e["data"]["assignee_id"], e["data"]["reason"], e["actor_user_id"])
        for e in events
        if "assigned" in e["kind"]
    ]
    assert moves == [
        ("assigned", str(cast.supervisor.id), "需要主管处理", str(cast.agent.id)),
        ("assigned", str(cast.agent.id), "manual reassignment", str(cast.agent.id)),
        ("unassigned", None, "回到队列", str(cast.agent.id)),
    ]
    audit = [a for a in await factories.audit_trail(hub, ticket_id) if a.action.startswith("ticket.")]
    assert [(a.action, a.reason) for a in audit if "assigned" in a.action] == [
        ("ticket.assigned", "需要主管处理"),
        ("ticket.assigned", "manual reassignment"),
        ("ticket.unassigned", "回到队列"),
    ]

    await users.update_user(hub, CLI, cast.supervisor.id, users.UserChanges(is_active=False))
    assert_problem(
        await client.post(url, json={"assignee_id": str(cast.supervisor.id)}, headers=agent),
        422,
        "invalid_input",
    )
