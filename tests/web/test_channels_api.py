from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from channels.wechat.config import WeChatConfig
from hub.domain import ChannelKind, Role
from hub.models import AuditEvent, Channel
from hub.security import token_digest
from tests import factories
from tests.web.helpers import assert_problem

pytestmark = pytest.mark.anyio


async def test_admin_adds_an_api_channel_and_sees_its_secrets_once(hub, client, cast) -> None:
    admin = cast.as_(Role.ADMIN)
    team = await factories.team(hub)
    body = {
        "kind": "api",
        "name": "ERP",
        "team_id": str(team.id),
        "config": {"callback_url": "https://erp.example/hook"},
    }
    response = await client.post("/api/v1/channels", json=body, headers=admin)
    assert response.status_code == 201, response.text
    assert "no-store" in response.headers["cache-control"]
    created = response.json()
    assert created["token"].startswith("hub_ch_") and created["webhook_secret"]
    assert created["team_id"] == str(team.id) and created["config"] == body["config"]

    async with hub.uow() as uow:
        stored = await uow.session.get(Channel, uuid.UUID(created["id"]))
    assert stored.token_hash == token_digest(created["token"])

    listed = await client.get("/api/v1/channels", headers=admin)
    assert listed.status_code == 200
    assert created["token"] not in listed.text and created["webhook_secret"] not in listed.text
    assert [c["name"] for c in listed.json()] == ["ERP"]

    # the token it answered really opens the inbound endpoint
    message = {"external_id": "m-1", "sender": {"identity": "u-1", "name": "用户"}, "text": "你好"}
    inbound = await client.post(
        f"/api/v1/channels/{created['id']}/messages",
        json=message,
        headers={"Authorization": f"Bearer {created['token']}"},
    )
    assert inbound.status_code == 200, inbound.text

    email = await client.post(
        "/api/v1/channels",
        json={"kind": "email", "name": "Support mailbox", "config": {"address": "Support@Hub.example"}},
        headers=admin,
    )
    assert email.status_code == 201, email.text
    assert email.json()["config"] == {"address": "support@hub.example"}
    assert email.json()["token"] is None and email.json()["webhook_secret"] is None


async def test_admin_configures_a_channel_audited(hub, client, cast) -> None:
    admin = cast.as_(Role.ADMIN)
    team = await factories.team(hub)
    channel = await factories.channel(hub, ChannelKind.WEBCHAT, team_id=team.id)
    url = f"/api/v1/channels/{channel.id}"

    response = await client.patch(
        url, json={"name": "官网客服", "is_active": False, "team_id": None}, headers=admin
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "官网客服" and body["is_active"] is False and body["team_id"] is None
    assert body["kind"] == "webchat"

    async with hub.uow() as uow:
        event = await uow.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "channel.updated"))
    assert event.actor_user_id == cast.admin.id
    assert event.before["team_id"] == str(team.id) and event.after["team_id"] is None
    assert event.after["is_active"] is False


async def test_channel_errors(hub, client, cast) -> None:
    admin = cast.as_(Role.ADMIN)
    existing = await factories.channel(hub, ChannelKind.EMAIL)
    other = await factories.channel(hub, ChannelKind.PHONE)

    async def create(**fields):
        body = {"kind": "email", "name": "New", "config": {"address": "new@hub.example"}, **fields}
        return await client.post("/api/v1/channels", json=body, headers=admin)

    assert_problem(await create(name=existing.name), 409, "conflict")
    assert_problem(await create(kind="fax"), 422, "invalid_input")
    assert_problem(await create(name=" "), 422, "invalid_input")
    assert_problem(await create(config={"callback_url": "https://x.example"}), 422, "invalid_input")
    no_address = assert_problem(await create(config={}), 422, "invalid_input")
    assert "address: is required" in no_address["detail"]
    clear_secret = await create(config={"address": "new@hub.example", "smtp_password": "hunter2"})
    assert "smtp_password: is not a setting" in assert_problem(clear_secret, 422, "invalid_input")["detail"]
    bad_port = await create(config={"address": "new@hub.example", "smtp_port": 70000})
    assert "smtp_port" in assert_problem(bad_port, 422, "invalid_input")["detail"]
    assert_problem(await create(kind="api", config={"callback_url": "ftp://x"}), 422, "invalid_input")
    assert_problem(await create(team_id=str(uuid.uuid4())), 404, "not_found")

    url = f"/api/v1/channels/{other.id}"
    assert_problem(await client.patch(url, json={"name": existing.name}, headers=admin), 409, "conflict")
    assert_problem(await client.patch(url, json={"name": ""}, headers=admin), 422, "invalid_input")
    assert_problem(await client.patch(url, json={"is_active": "maybe"}, headers=admin), 422, "invalid_input")
    assert_problem(
        await client.patch(url, json={"team_id": str(uuid.uuid4())}, headers=admin), 404, "not_found"
    )
    missing = await client.patch(f"/api/v1/channels/{uuid.uuid4()}", json={"name": "x"}, headers=admin)
    assert_problem(missing, 404, "not_found")

    for role in (Role.AGENT, Role.SUPERVISOR, Role.PARTNER):
        assert_problem(await client.get("/api/v1/channels", headers=cast.as_(role)), 403, "forbidden")
        denied = await client.patch(url, json={"is_active": False}, headers=cast.as_(role))
        assert_problem(denied, 403, "forbidden")


async def test_the_kinds_and_their_settings_are_published_for_admin_forms(client, cast) -> None:
    response = await client.get("/api/v1/channels/kinds", headers=cast.as_(Role.ADMIN))
    assert response.status_code == 200, response.text
    kinds = {k["kind"]: k for k in response.json()}
    assert set(kinds) == {"email", "wechat", "api", "webchat", "phone", "portal"}
    webchat = {s["name"]: s for s in kinds["webchat"]["settings"]}
    assert webchat["origins"]["required"] and webchat["origins"]["kind"] == "list"
    assert webchat["secret"]["sealed"] and not webchat["secret"]["required"], "issued when added"
    assert kinds["api"]["issues_token"] and not kinds["email"]["issues_token"]
    email = {s["name"]: s for s in kinds["email"]["settings"]}
    assert email["address"]["required"] and email["address"]["help"]["zh-CN"] == "邮箱地址"
    assert (
        set(email["smtp_tls"]["choices"]) == {"starttls", "tls", "none"}
        and email["smtp_tls"]["default"] == "starttls"
    )
    assert (email["smtp_port"]["minimum"], email["smtp_port"]["maximum"]) == (1, 65535)
    wechat = {s["name"]: s for s in kinds["wechat"]["settings"]}
    assert wechat["token"]["sealed"] and wechat["token"]["required"] and not wechat["welcome"]["sealed"]
    schema = kinds["email"]["settings_schema"]
    assert "address" in schema["$defs"]["MailboxConfig"]["required"]
    denied = await client.get("/api/v1/channels/kinds", headers=cast.as_(Role.AGENT))
    assert denied.status_code == 403


async def test_a_sealed_secret_is_kept_by_an_update_that_does_not_give_it(hub, client, cast) -> None:
    """An admin editing a WeChat account's welcome text need not type its token again."""
    admin = cast.as_(Role.ADMIN)
    given = {"app_id": "wx-keep", "token": "keep-this-token", "secret_env": "HUB_WECHAT_SECRET"}
    created = await client.post(
        "/api/v1/channels", json={"kind": "wechat", "name": "服务号", "config": given}, headers=admin
    )
    assert created.status_code == 201, created.text
    stored = created.json()["config"]
    assert "keep-this-token" not in str(stored) and stored["token_sealed"]
    changed = await client.patch(
        f"/api/v1/channels/{created.json()['id']}",
        json={"config": {"app_id": "wx-keep", "secret_env": "HUB_WECHAT_SECRET", "welcome": "欢迎"}},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    after = changed.json()["config"]
    assert after["token_sealed"] == stored["token_sealed"] and after["welcome"] == "欢迎"
    channel = await factories.get(hub, Channel, uuid.UUID(created.json()["id"]))
    assert WeChatConfig.load(hub.settings.secret_key, channel.id, channel.config).token == "keep-this-token"
