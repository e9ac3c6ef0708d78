"""Internal hand-offs over HTTP: hand to another team's liaison, list, answer."""

from __future__ import annotations

import pytest

from hub.accounts import teams
from hub.actors import CLI
from hub.domain import ChannelKind, Role
from tests import factories
from tests.web.helpers import assert_problem, login

pytestmark = pytest.mark.anyio


async def test_handoffs_over_http(hub, client, cast) -> None:
    finance = await factories.team(hub, "Finance")
    liaison = await factories.user(hub, Role.AGENT, team_id=finance.id)
    await teams.update_team(hub, CLI, finance.id, teams.TeamChanges(liaison_id=liaison.id))
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    ticket_id = (await factories.inbound(hub, channel.id)).ticket_id
    agent = cast.as_(Role.AGENT)

    url = f"/api/v1/tickets/{ticket_id}/handoffs"
    created = await client.post(url, json={"team_id": str(finance.id), "note": "请确认退款"}, headers=agent)
    assert created.status_code == 201, created.text
    handoff = created.json()
    assert (
        handoff["liaison_id"] == str(liaison.id)
        and handoff["status"] == "open"
        and handoff["state"] == "active"
    )
    assert [h["id"] for h in (await client.get(url, headers=agent)).json()] == [handoff["id"]]

    as_liaison = await login(client, liaison.email)
    mine = (await client.get("/api/v1/handoffs?to=me&status=open", headers=as_liaison)).json()
    assert [h["id"] for h in mine] == [handoff["id"]]
    answer = f"/api/v1/handoffs/{handoff['id']}/answer"
    assert_problem(await client.post(answer, json={"text": "越权"}, headers=agent), 403, "forbidden")
    answered = await client.post(answer, json={"text": "退款已批准"}, headers=as_liaison)
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "answered" and answered.json()["state"] == "met"
    assert_problem(await client.post(answer, json={"text": "again"}, headers=as_liaison), 409, "conflict")
    thread = (await client.get(f"/api/v1/tickets/{ticket_id}", headers=agent)).json()["messages"]
    assert [m["text"] for m in thread if m["direction"] == "note"] == ["退款已批准"]
    assert_problem(await client.get("/api/v1/handoffs?to=you", headers=agent), 422, "invalid_input")
