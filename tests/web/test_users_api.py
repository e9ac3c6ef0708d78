from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from hub.domain import ChannelKind, Role
from hub.models import AuditEvent
from tests import factories
from tests.web.helpers import assert_problem, login

pytestmark = pytest.mark.anyio

SECRET_FIELDS = {"password", "password_hash", "totp_secret"}


async def test_staff_list_users_filtered_by_role_and_team(hub, client, cast) -> None:
    team = await factories.team(hub)
    member = await factories.user(hub, Role.AGENT, team_id=team.id)
    headers = cast.as_(Role.AGENT)

    response = await client.get("/api/v1/users", headers=headers)
    assert response.status_code == 200
    everyone = response.json()
    assert len(everyone) == 5
    assert all(not (SECRET_FIELDS & set(u)) for u in everyone)
    assert "argon2" not in response.text

    agents = (await client.get("/api/v1/users?role=agent", headers=headers)).json()
    assert {u["id"] for u in agents} == {str(cast.agent.id), str(member.id)}
    in_team = (await client.get(f"/api/v1/users?team={team.id}", headers=headers)).json()
    assert [u["id"] for u in in_team] == [str(member.id)]
    assert_problem(await client.get("/api/v1/users?role=boss", headers=headers), 422, "invalid_input")
    assert_problem(await client.get("/api/v1/users", headers=cast.as_(Role.PARTNER)), 403, "forbidden")


async def test_admin_creates_users(hub, client, cast) -> None:
    admin = cast.as_(Role.ADMIN)
    team = await factories.team(hub)
    body = {
        "email": "Chen.Jing@Example.test",
        "name": "陈静",
        "role": "agent",
        "password": "long enough password",
        "team_id": str(team.id),
        "locale": "en",
        "time_zone": "Europe/Berlin",
        "capacity": 12,
    }
    response = await client.post("/api/v1/users", json=body, headers=admin)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["email"] == "chen.jing@example.test" and created["name"] == "陈静"
    assert created["team_id"] == str(team.id) and created["capacity"] == 12 and created["is_active"]
    assert not (SECRET_FIELDS & set(created)) and "argon2" not in response.text
    assert (await login(client, "chen.jing@example.test", "long enough password"))["Authorization"]

    partner = {
        "email": "p@partner.example",
        "name": "P",
        "role": "partner",
        "organization_id": str(cast.partner_org.id),
    }
    assert (await client.post("/api/v1/users", json=partner, headers=admin)).status_code == 201

    async def create(**fields):
        return await client.post(
            "/api/v1/users", json={**body, "email": "new@example.test", **fields}, headers=admin
        )

    assert_problem(await create(email="Chen.Jing@example.test"), 409, "conflict")
    assert_problem(await create(email="not-an-address"), 422, "invalid_input")
    assert_problem(await create(password="short"), 422, "invalid_input")
    assert_problem(await create(locale="fr"), 422, "invalid_input")
    assert_problem(await create(time_zone="Mars/Olympus"), 422, "invalid_input")
    assert_problem(await create(capacity=-1), 422, "invalid_input")
    assert_problem(await create(role="partner"), 422, "invalid_input")  # a partner needs an organization
    assert_problem(await create(role="root"), 422, "invalid_input")
    assert_problem(await create(team_id=str(uuid.uuid4())), 404, "not_found")
    for role in (Role.AGENT, Role.SUPERVISOR, Role.PARTNER):
        denied = await client.post("/api/v1/users", json=body, headers=cast.as_(role))
        assert_problem(denied, 403, "forbidden")


async def test_admin_edits_users_audited(hub, client, cast) -> None:
    admin = cast.as_(Role.ADMIN)
    team = await factories.team(hub)
    url = f"/api/v1/users/{cast.agent.id}"
    patch = {
        "name": "刘洋",
        "role": "supervisor",
        "team_id": str(team.id),
        "capacity": 8,
        "locale": "en",
        "time_zone": "UTC",
    }
    response = await client.patch(url, json=patch, headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["role"] == "supervisor" and body["team_id"] == str(team.id) and body["name"] == "刘洋"
    assert body["capacity"] == 8 and body["locale"] == "en" and body["time_zone"] == "UTC"

    cleared = (await client.patch(url, json={"team_id": None}, headers=admin)).json()
    assert cleared["team_id"] is None and cleared["role"] == "supervisor"

    async with hub.uow() as uow:
        events = list(
            await uow.session.scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.action == "user.updated", AuditEvent.subject_id == str(cast.agent.id))
                .order_by(AuditEvent.id)
            )
        )
    assert len(events) == 2 and events[0].actor_user_id == cast.admin.id
    assert events[0].before["role"] == "agent" and events[0].after["role"] == "supervisor"
    assert events[1].before == {"team_id": str(team.id)} and events[1].after == {"team_id": None}


async def test_user_edit_errors(hub, client, cast) -> None:
    admin = cast.as_(Role.ADMIN)
    missing = f"/api/v1/users/{uuid.uuid4()}"
    assert_problem(await client.patch(missing, json={"name": "x"}, headers=admin), 404, "not_found")
    agent_url = f"/api/v1/users/{cast.agent.id}"
    assert_problem(
        await client.patch(agent_url, json={"team_id": str(uuid.uuid4())}, headers=admin), 404, "not_found"
    )
    assert_problem(
        await client.patch(agent_url, json={"role": "partner"}, headers=admin), 422, "invalid_input"
    )
    assert_problem(
        await client.patch(agent_url, json={"capacity": "many"}, headers=admin), 422, "invalid_input"
    )
    assert_problem(
        await client.patch(agent_url, json={"password": "x" * 12}, headers=admin), 422, "invalid_input"
    )
    partner_url = f"/api/v1/users/{cast.partner.id}"
    assert_problem(
        await client.patch(partner_url, json={"role": "admin"}, headers=admin), 422, "invalid_input"
    )
    own = f"/api/v1/users/{cast.admin.id}"
    assert_problem(await client.patch(own, json={"role": "agent"}, headers=admin), 409, "conflict")
    assert_problem(await client.patch(own, json={"is_active": False}, headers=admin), 409, "conflict")
    # With another administrator about, still not by their own hand: the other one can.
    other = await factories.user(hub, Role.ADMIN)
    refused = await client.patch(own, json={"is_active": False}, headers=admin)
    assert "your own account" in assert_problem(refused, 409, "conflict")["detail"]
    other_admin = await factories.login(client, other)
    assert (await client.patch(own, json={"role": "supervisor"}, headers=other_admin)).status_code == 200
    denied = await client.patch(agent_url, json={"capacity": 3}, headers=cast.as_(Role.SUPERVISOR))
    assert_problem(denied, 403, "forbidden")


async def test_deactivating_a_user_ends_access_on_the_next_request(client, cast) -> None:
    agent = cast.as_(Role.AGENT)
    token = (await client.post("/api/v1/auth/tokens", json={"name": "ci"}, headers=agent)).json()["token"]
    personal = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/tickets", headers=agent)).status_code == 200
    assert (await client.get("/api/v1/tickets", headers=personal)).status_code == 200

    off = await client.patch(
        f"/api/v1/users/{cast.agent.id}", json={"is_active": False}, headers=cast.as_(Role.ADMIN)
    )
    assert off.status_code == 200 and off.json()["is_active"] is False

    assert_problem(await client.get("/api/v1/tickets", headers=agent), 401, "not_authenticated")
    assert_problem(await client.get("/api/v1/tickets", headers=personal), 401, "not_authenticated")
    relogin = await client.post(
        "/api/v1/auth/login", json={"email": cast.agent.email, "password": factories.PASSWORD}
    )
    assert_problem(relogin, 401, "login_failed")


async def test_users_edit_their_own_profile(client, cast) -> None:
    for role in (Role.AGENT, Role.PARTNER):
        response = await client.patch(
            "/api/v1/users/me",
            json={"presence": "away", "locale": "en", "time_zone": "Asia/Tokyo"},
            headers=cast.as_(role),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["presence"], body["locale"], body["time_zone"]) == ("away", "en", "Asia/Tokyo")
        me = (await client.get("/api/v1/auth/me", headers=cast.as_(role))).json()
        assert me["locale"] == "en" and me["time_zone"] == "Asia/Tokyo"

    headers = cast.as_(Role.AGENT)
    assert_problem(
        await client.patch("/api/v1/users/me", json={"presence": "asleep"}, headers=headers),
        422,
        "invalid_input",
    )
    assert_problem(
        await client.patch("/api/v1/users/me", json={"time_zone": "Nowhere"}, headers=headers),
        422,
        "invalid_input",
    )
    assert_problem(
        await client.patch("/api/v1/users/me", json={"role": "admin"}, headers=headers), 422, "invalid_input"
    )
    assert_problem(
        await client.patch("/api/v1/users/me", json={"presence": "away"}), 401, "not_authenticated"
    )


async def test_admins_name_management_and_supervisors_hand_over_someones_tickets(hub, client, cast) -> None:
    url = f"/api/v1/users/{cast.supervisor.id}"
    response = await client.patch(url, json={"is_management": True}, headers=cast.as_(Role.ADMIN))
    assert response.status_code == 200 and response.json()["is_management"] is True

    team = await factories.team(hub)
    mailbox = await factories.channel(hub, ChannelKind.EMAIL, team_id=team.id)
    leaving = await factories.user(hub, Role.AGENT, team_id=team.id)
    ticket_id = (await factories.inbound(hub, mailbox.id)).ticket_id
    handover_url = f"/api/v1/users/{leaving.id}/handover"
    assert_problem(await client.post(handover_url, json={}, headers=cast.as_(Role.AGENT)), 403, "forbidden")
    response = await client.post(handover_url, json={"reason": "年假"}, headers=cast.as_(Role.SUPERVISOR))
    assert response.status_code == 200, response.text
    (moved,) = response.json()["moved"]
    assert moved["ticket_id"] == str(ticket_id) and moved["assignee_id"] is None
    assert moved["reason"] == "handover: back to the team queue (年假)"
    assert_problem(
        await client.post(f"/api/v1/users/{uuid.uuid4()}/handover", json={}, headers=cast.as_(Role.ADMIN)),
        404,
        "not_found",
    )
