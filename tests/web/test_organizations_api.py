from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from hub.domain import Role
from hub.models import AuditEvent
from tests import factories
from tests.web.helpers import assert_problem

pytestmark = pytest.mark.anyio


async def test_admin_creates_and_edits_an_organization_audited(hub, client, cast) -> None:
    admin = cast.as_(Role.ADMIN)
    body = {
        "name": "华南贸易有限公司",
        "kind": "client",
        "tier": "core",
        "domains": ["@HuaNan.example", "huanan.example", "南方.中国"],
        "account_manager_id": str(cast.agent.id),
        "backup_manager_id": str(cast.supervisor.id),
    }
    response = await client.post("/api/v1/organizations", json=body, headers=admin)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["name"] == "华南贸易有限公司" and created["tier"] == "core" and created["calendar"] == "cn"
    assert created["domains"] == ["huanan.example", "南方.中国"]
    assert created["account_manager_id"] == str(cast.agent.id)

    org_id = created["id"]
    patch = {"tier": "standard", "backup_manager_id": None, "calendar": "hk"}
    response = await client.patch(f"/api/v1/organizations/{org_id}", json=patch, headers=admin)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["tier"] == "standard" and updated["backup_manager_id"] is None
    assert updated["calendar"] == "hk" and updated["account_manager_id"] == str(cast.agent.id)

    async with hub.uow() as uow:
        events = list(
            await uow.session.scalars(
                sa.select(AuditEvent).where(AuditEvent.subject_id == org_id).order_by(AuditEvent.id)
            )
        )
    assert [e.action for e in events] == ["organization.created", "organization.updated"]
    assert events[0].after["tier"] == "core" and events[0].actor_user_id == cast.admin.id
    assert events[1].before == {
        "tier": "core",
        "backup_manager_id": str(cast.supervisor.id),
        "calendar": "cn",
    }
    assert events[1].after == {"tier": "standard", "backup_manager_id": None, "calendar": "hk"}

    read = await client.get(f"/api/v1/organizations/{org_id}", headers=cast.as_(Role.AGENT))
    assert read.status_code == 200 and read.json() == updated


async def test_organization_errors(hub, client, cast) -> None:
    admin = cast.as_(Role.ADMIN)
    other = await factories.organization(hub, domains=["taken.example"])
    inactive = await factories.user(hub, Role.AGENT)
    await client.patch(f"/api/v1/users/{inactive.id}", json={"is_active": False}, headers=admin)

    async def create(**fields):
        return await client.post(
            "/api/v1/organizations", json={"name": "Acme", "kind": "client", **fields}, headers=admin
        )

    assert_problem(await create(kind="vendor"), 422, "invalid_input")
    assert_problem(await create(name="  "), 422, "invalid_input")
    assert_problem(await create(domains=["not a domain"]), 422, "invalid_input")
    assert_problem(await create(calendar="Bad Calendar!"), 422, "invalid_input")
    assert_problem(await create(unknown_field=1), 422, "invalid_input")
    assert_problem(await create(account_manager_id=str(cast.partner.id)), 422, "invalid_input")
    assert_problem(await create(account_manager_id=str(inactive.id)), 422, "invalid_input")
    assert_problem(await create(backup_manager_id=str(uuid.uuid4())), 422, "invalid_input")
    assert_problem(await create(domains=["TAKEN.example"]), 409, "conflict")
    assert_problem(await create(name=other.name), 409, "conflict")

    missing = f"/api/v1/organizations/{uuid.uuid4()}"
    assert_problem(await client.get(missing, headers=admin), 404, "not_found")
    assert_problem(await client.patch(missing, json={"tier": "core"}, headers=admin), 404, "not_found")
    mine = await client.patch(
        f"/api/v1/organizations/{other.id}", json={"domains": ["taken.example"]}, headers=admin
    )
    assert mine.status_code == 200  # an organization does not conflict with itself
    rename = await client.patch(
        f"/api/v1/organizations/{other.id}", json={"name": cast.partner_org.name}, headers=admin
    )
    assert_problem(rename, 409, "conflict")


async def test_partner_sees_only_its_own_organization(hub, client, cast) -> None:
    other = await factories.organization(hub)
    partner = cast.as_(Role.PARTNER)
    listed = (await client.get("/api/v1/organizations", headers=partner)).json()
    assert [o["id"] for o in listed] == [str(cast.partner_org.id)]
    own = await client.get(f"/api/v1/organizations/{cast.partner_org.id}", headers=partner)
    assert own.status_code == 200
    assert_problem(await client.get(f"/api/v1/organizations/{other.id}", headers=partner), 404, "not_found")

    staff_list = (await client.get("/api/v1/organizations", headers=cast.as_(Role.AGENT))).json()
    assert {o["id"] for o in staff_list} == {str(cast.partner_org.id), str(other.id)}


async def test_only_admins_write_organizations(client, cast) -> None:
    body = {"name": "Nope", "kind": "client"}
    for role in (Role.AGENT, Role.SUPERVISOR, Role.PARTNER):
        denied = await client.post("/api/v1/organizations", json=body, headers=cast.as_(role))
        assert_problem(denied, 403, "forbidden")
        url = f"/api/v1/organizations/{cast.partner_org.id}"
        assert_problem(
            await client.patch(url, json={"tier": "core"}, headers=cast.as_(role)), 403, "forbidden"
        )
