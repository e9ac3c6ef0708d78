from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from hub.domain import Role
from hub.models import AuditEvent
from tests.web.helpers import assert_problem

pytestmark = pytest.mark.anyio


async def test_admin_creates_and_edits_teams(hub, client, cast) -> None:
    admin = cast.as_(Role.ADMIN)
    body = {"name": "After-Sales", "name_zh": "售后服务部", "liaison_id": str(cast.supervisor.id)}
    response = await client.post("/api/v1/teams", json=body, headers=admin)
    assert response.status_code == 201, response.text
    team = response.json()
    assert (team["name"], team["name_zh"], team["liaison_id"]) == (
        "After-Sales",
        "售后服务部",
        str(cast.supervisor.id),
    )

    url = f"/api/v1/teams/{team['id']}"
    response = await client.patch(url, json={"name_zh": "售后部", "liaison_id": None}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["name_zh"] == "售后部" and response.json()["liaison_id"] is None
    assert response.json()["name"] == "After-Sales"

    listed = (await client.get("/api/v1/teams", headers=cast.as_(Role.AGENT))).json()
    assert [t["name_zh"] for t in listed] == ["售后部"]

    async with hub.uow() as uow:
        actions = list(
            await uow.session.scalars(
                sa.select(AuditEvent.action)
                .where(AuditEvent.subject_id == team["id"])
                .order_by(AuditEvent.id)
            )
        )
    assert actions == ["team.created", "team.updated"]


async def test_team_errors(client, cast) -> None:
    admin = cast.as_(Role.ADMIN)
    first = (await client.post("/api/v1/teams", json={"name": "Service"}, headers=admin)).json()
    second = (await client.post("/api/v1/teams", json={"name": "Sales"}, headers=admin)).json()

    assert_problem(
        await client.post("/api/v1/teams", json={"name": "Service"}, headers=admin), 409, "conflict"
    )
    assert_problem(await client.post("/api/v1/teams", json={"name": ""}, headers=admin), 422, "invalid_input")
    assert_problem(
        await client.post("/api/v1/teams", json={"name_zh": "无名"}, headers=admin), 422, "invalid_input"
    )
    bad_liaison = {"name": "X", "liaison_id": str(cast.partner.id)}
    assert_problem(await client.post("/api/v1/teams", json=bad_liaison, headers=admin), 422, "invalid_input")
    rename = await client.patch(f"/api/v1/teams/{second['id']}", json={"name": first["name"]}, headers=admin)
    assert_problem(rename, 409, "conflict")
    missing = await client.patch(f"/api/v1/teams/{uuid.uuid4()}", json={"name": "Y"}, headers=admin)
    assert_problem(missing, 404, "not_found")

    for role in (Role.AGENT, Role.SUPERVISOR, Role.PARTNER):
        denied = await client.post("/api/v1/teams", json={"name": "Z"}, headers=cast.as_(role))
        assert_problem(denied, 403, "forbidden")
        denied = await client.patch(
            f"/api/v1/teams/{first['id']}", json={"name": "Z"}, headers=cast.as_(role)
        )
        assert_problem(denied, 403, "forbidden")
    assert_problem(await client.get("/api/v1/teams", headers=cast.as_(Role.PARTNER)), 403, "forbidden")


async def test_a_team_names_its_escalation_people_and_working_hours(client, cast) -> None:
    admin = cast.as_(Role.ADMIN)
    body = {
        "name": "Complaints",
        "lead_id": str(cast.supervisor.id),
        "head_id": str(cast.admin.id),
        "calendar": "cn",
    }
    team = (await client.post("/api/v1/teams", json=body, headers=admin)).json()
    assert (team["lead_id"], team["head_id"], team["calendar"]) == (
        str(cast.supervisor.id),
        str(cast.admin.id),
        "cn",
    )
    url = f"/api/v1/teams/{team['id']}"
    cleared = (await client.patch(url, json={"calendar": None, "head_id": None}, headers=admin)).json()
    assert (cleared["lead_id"], cleared["head_id"], cleared["calendar"]) == (
        str(cast.supervisor.id),
        None,
        None,
    )
    assert_problem(
        await client.patch(url, json={"calendar": "nowhere"}, headers=admin), 404, "calendar_not_found"
    )
    assert_problem(
        await client.patch(url, json={"lead_id": str(cast.partner.id)}, headers=admin), 422, "invalid_input"
    )
