"""SLA policies over HTTP: administrators only, specs validated, every change audited."""

from __future__ import annotations

import pytest

from hub.domain import Role
from tests import factories
from tests.web.helpers import assert_problem

pytestmark = pytest.mark.anyio
URL = "/api/v1/sla-policies"


async def test_with_no_stored_policy_the_list_shows_the_built_in_defaults(client, cast) -> None:
    response = await client.get(URL, headers=cast.as_(Role.ADMIN))
    assert response.status_code == 200
    listed = {p["name"]: p for p in response.json()}
    assert listed["default-webchat"]["first_response"] == "3bm" and listed["default-webchat"]["builtin"]
    assert listed["default-email"]["first_response"] == "1bd"
    assert listed["default"]["channel_kind"] is None
    assert all(p["id"] is None for p in listed.values())


async def test_create_read_update_and_delete_a_policy_with_an_audit_line_each(client, hub, cast) -> None:
    admin = cast.as_(Role.ADMIN)
    body = {
        "name": "核心客户 core chat",
        "channel_kind": "webchat",
        "tier": "core",
        "first_response": "1BM",
        "resolution": "4bh",
    }
    created = await client.post(URL, json=body, headers=admin)
    assert created.status_code == 201, created.text
    policy = created.json()
    assert policy["first_response"] == "1bm", "specs are stored normalised"
    assert policy["next_response"] is None and not policy["builtin"] and policy["is_active"]
    listed = [p["name"] for p in (await client.get(URL, headers=admin)).json()]
    assert listed[0] == "核心客户 core chat", "the most specific policy is tried first"
    assert listed[-1] == "default", "the built-in catch-all is tried last"

    url = f"{URL}/{policy['id']}"
    assert (await client.get(url, headers=admin)).json()["name"] == "核心客户 core chat"
    patched = await client.patch(
        url, json={"tier": None, "next_response": "2bm", "position": 5}, headers=admin
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["tier"], patched.json()["next_response"], patched.json()["position"]) == (
        None,
        "2bm",
        5,
    )
    assert (await client.delete(url, headers=admin)).status_code == 204
    assert_problem(await client.get(url, headers=admin), 404, "not_found")

    trail = await factories.audit_trail(hub, policy["id"])
    assert [a.action for a in trail] == ["sla_policy.created", "sla_policy.updated", "sla_policy.deleted"]
    assert trail[0].after["tier"] == "core" and trail[0].actor_user_id == cast.admin.id
    assert trail[1].before == {"tier": "core", "next_response": None, "position": 0}
    assert trail[1].after == {"tier": None, "next_response": "2bm", "position": 5}
    assert trail[2].before["name"] == "核心客户 core chat"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"name": "x", "first_response": "soon"}, "first_response"),
        ({"name": "x", "resolution": "0bd"}, "at least one unit"),
        ({"name": "x", "next_response": "999999bm"}, "at most 100000"),
        ({"name": "   "}, "name"),
        ({"name": "x", "channel_kind": "fax"}, "channel_kind"),
        ({"name": "x", "colour": "red"}, "colour"),
    ],
)
async def test_invalid_policies_are_refused_with_the_reason(client, cast, body, words: str) -> None:
    problem = assert_problem(
        await client.post(URL, json=body, headers=cast.as_(Role.ADMIN)), 422, "invalid_input"
    )
    assert words in problem["detail"]


async def test_a_duplicate_name_is_a_conflict(client, cast) -> None:
    admin = cast.as_(Role.ADMIN)
    assert (await client.post(URL, json={"name": "email"}, headers=admin)).status_code == 201
    assert_problem(await client.post(URL, json={"name": "email"}, headers=admin), 409, "conflict")


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT, Role.PARTNER])
async def test_only_administrators_touch_policies(client, cast, role: Role) -> None:
    assert_problem(await client.get(URL, headers=cast.as_(role)), 403, "forbidden")
    assert_problem(await client.post(URL, json={"name": "mine"}, headers=cast.as_(role)), 403, "forbidden")
