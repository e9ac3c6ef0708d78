"""POST /api/v1/tickets/{id}/escalate: supervisors and admins escalate with a reason; the level shows."""

from __future__ import annotations

import uuid

import pytest

from hub.domain import ChannelKind, Role
from tests import factories
from tests.web.helpers import assert_problem

pytestmark = pytest.mark.anyio


async def test_supervisors_escalate_and_the_ticket_shows_the_level(hub, client, cast) -> None:
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    ticket_id = (await factories.inbound(hub, channel.id)).ticket_id
    url = f"/api/v1/tickets/{ticket_id}/escalate"
    body = {"reason": "客户要求主管介入"}
    assert_problem(await client.post(url, json=body, headers=cast.as_(Role.AGENT)), 403, "forbidden")
    assert_problem(await client.post(url, json=body, headers=cast.as_(Role.PARTNER)), 403, "forbidden")
    response = await client.post(url, json=body, headers=cast.as_(Role.SUPERVISOR))
    assert response.status_code == 200, response.text
    assert response.json()["escalation_level"] == 1
    response = await client.post(url, json={**body, "level": 3}, headers=cast.as_(Role.ADMIN))
    assert response.json()["escalation_level"] == 3
    assert_problem(await client.post(url, json=body, headers=cast.as_(Role.ADMIN)), 409, "conflict")
    assert_problem(
        await client.post(url, json={"reason": ""}, headers=cast.as_(Role.ADMIN)), 422, "invalid_input"
    )
    assert_problem(
        await client.post(
            f"/api/v1/tickets/{uuid.uuid4()}/escalate", json=body, headers=cast.as_(Role.ADMIN)
        ),
        404,
        "not_found",
    )

    ticket = (await client.get(f"/api/v1/tickets/{ticket_id}", headers=cast.as_(Role.AGENT))).json()
    assert ticket["escalation_level"] == 3
    listed = (await client.get("/api/v1/tickets", headers=cast.as_(Role.AGENT))).json()["items"]
    assert [t["escalation_level"] for t in listed] == [3]
    events = (await client.get(f"/api/v1/tickets/{ticket_id}/events", headers=cast.as_(Role.AGENT))).json()
    escalated = [e for e in events if e["kind"] == "escalated"]
    assert [(e["data"]["level"], e["actor_user_id"]) for e in escalated] == [
        (1, str(cast.supervisor.id)),
        (3, str(cast.admin.id)),
    ]
    response = await client.post(
        f"/api/v1/tickets/{ticket_id}/status", json={"status": "resolved"}, headers=cast.as_(Role.AGENT)
    )
    assert response.json()["escalation_level"] == 0
    sla = (await client.get(f"/api/v1/tickets/{ticket_id}/sla", headers=cast.as_(Role.AGENT))).json()
    assert sla["escalation_due_at"] is None
