"""The requirement loop over HTTP: record from a ticket, list, read with history, transfer, move."""

from __future__ import annotations

import uuid

import pytest

from hub.domain import ChannelKind, Role
from tests import factories
from tests.web.helpers import assert_problem

pytestmark = pytest.mark.anyio


async def test_the_loop_over_http(hub, client, cast) -> None:
    org = await factories.organization(hub, manager=cast.agent.id, domains=["client.cn"])
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    ticket_id = (await factories.inbound(hub, channel.id, sender="buyer@client.cn")).ticket_id
    agent, supervisor = cast.as_(Role.AGENT), cast.as_(Role.SUPERVISOR)

    url = f"/api/v1/tickets/{ticket_id}/requirements"
    body = {"content": "增加英文版对账单", "priority": "high", "due_date": "2026-12-31"}
    assert_problem(await client.post(url, json=body, headers=cast.as_(Role.PARTNER)), 403, "forbidden")
    assert_problem(await client.post(url, json={"content": ""}, headers=agent), 422, "invalid_input")
    created = await client.post(url, json=body, headers=agent)
    assert created.status_code == 201, created.text
    requirement = created.json()
    assert requirement["status"] == "recorded" and requirement["owner_id"] == str(cast.agent.id)
    assert requirement["organization_id"] == str(org.id) and requirement["due_date"] == "2026-12-31"
    assert requirement["feedback_state"] == "active" and requirement["feedback_at"] is None
    base = f"/api/v1/requirements/{requirement['id']}"

    moved = await client.post(f"{base}/transition", json={"status": "accepted"}, headers=agent)
    assert moved.status_code == 200 and moved.json()["status"] == "accepted"
    refused = await client.post(
        f"{base}/transition", json={"status": "confirmed"}, headers={**agent, "accept-language": "zh-CN"}
    )
    problem = assert_problem(refused, 409, "invalid_requirement_transition")
    assert problem["detail"] == "需求不能从“已受理”变为“已确认”。"
    transfer = {"owner_id": str(cast.supervisor.id), "reason": "需要主管审批"}
    assert_problem(
        await client.post(f"{base}/transfer", json={"reason": "x"}, headers=agent), 422, "invalid_input"
    )
    assert (await client.post(f"{base}/transfer", json=transfer, headers=agent)).json()["owner_id"] == str(
        cast.supervisor.id
    )
    given = await client.post(f"{base}/feedback", json={"note": "电话告知客户已受理"}, headers=supervisor)
    assert given.json()["feedback_state"] == "met"

    detail = (await client.get(base, headers=supervisor)).json()
    assert [(e["kind"], e["actor_user_id"]) for e in detail["history"]] == [
        ("recorded", str(cast.agent.id)),
        ("status_changed", str(cast.agent.id)),
        ("transferred", str(cast.agent.id)),
        ("feedback_given", str(cast.supervisor.id)),
    ]
    assert detail["history"][2]["reason"] == "需要主管审批"

    def ids(response) -> list[str]:
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()]

    assert ids(await client.get("/api/v1/requirements?owner=me", headers=supervisor)) == [requirement["id"]]
    assert ids(await client.get("/api/v1/requirements?owner=me", headers=agent)) == []
    assert ids(await client.get("/api/v1/requirements?manager=me", headers=agent)) == [requirement["id"]]
    assert ids(await client.get(f"/api/v1/requirements?organization={org.id}", headers=agent)) == [
        requirement["id"]
    ]
    assert ids(await client.get("/api/v1/requirements?status=recorded&status=accepted", headers=agent)) == [
        requirement["id"]
    ]
    assert_problem(await client.get("/api/v1/requirements?owner=nobody", headers=agent), 422, "invalid_input")
    assert_problem(await client.get(f"/api/v1/requirements/{uuid.uuid4()}", headers=agent), 404, "not_found")
    assert_problem(await client.get("/api/v1/requirements", headers=cast.as_(Role.PARTNER)), 403, "forbidden")
