"""The admin pages over HTTP: every page renders for those it admits, in Chinese and English, under
the strict policy; supervisors read without forms; agents and partners are refused; what the page
shows of a channel (webhook address, embed line, extensions) and of a calendar's year."""

from __future__ import annotations

import re

import pytest

from hub.core import Hub
from hub.domain import ChannelKind, Role
from tests import factories
from web.pages.admin.common import SECTIONS

pytestmark = pytest.mark.anyio

PAGES = [s.path for s in SECTIONS] + ["/admin/calendars/cn", "/admin/channels/new/email"]


async def _page(client, path: str, headers: dict[str, str], status: int = 200) -> str:
    response = await client.get(path, headers=headers)
    assert response.status_code == status, f"{path}: {response.status_code} {response.text[:300]}"
    if status == 200:
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert "<script>" not in response.text and " style=" not in response.text
    return response.text


async def test_every_admin_page_renders_for_an_admin_in_both_languages(client, cast, hub: Hub) -> None:
    await factories.channel(hub, ChannelKind.WEBCHAT)
    headers = cast.as_(Role.ADMIN)
    for lang, words in (("zh-CN", "系统管理"), ("en", "Administration")):
        answer = await client.patch("/api/v1/users/me", headers=headers, json={"locale": lang})
        assert answer.status_code == 200
        for path in PAGES:
            text = await _page(client, path, headers)
            assert f'<html lang="{lang}">' in text and words in text, path
            assert "admin.js" in text and "admin." not in re.sub(r"admin\.js|/admin[./][\w/.-]*", "", text), (
                path
            )
    home = await client.get("/admin", headers=headers, follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/admin/channels"


async def test_supervisors_read_people_and_calendars_without_forms_and_nothing_else(client, cast) -> None:
    headers = cast.as_(Role.SUPERVISOR)
    home = await client.get("/admin", headers=headers, follow_redirects=False)
    assert home.headers["location"] == "/admin/users"
    for path in (
        "/admin/users",
        "/admin/teams",
        "/admin/organizations",
        "/admin/calendars",
        "/admin/calendars/cn",
    ):
        text = await _page(client, path, headers)
        assert 'class="admin-form"' not in text and "只读" in text, path
        assert "/admin/channels" not in text and "/admin/sla" not in text, path
    users = await _page(client, "/admin/users", headers)
    assert "/handover" in users and "/2fa/reset" not in users  # supervisors hand over, admins reset
    tokens = await _page(client, "/admin/tokens", headers)
    assert 'id="token-new"' in tokens  # everyone keeps their own tokens
    for path in ("/admin/channels", "/admin/sla", "/admin/notifications", "/admin/channels/new/email"):
        await _page(client, path, headers, status=403)


@pytest.mark.parametrize("role", [Role.AGENT, Role.PARTNER])
async def test_agents_and_partners_get_no_admin_page_nor_its_link(client, cast, role: Role) -> None:
    headers = cast.as_(role)
    for path in ["/admin", *PAGES]:
        await _page(client, path, headers, status=403)
    inbox = await client.get("/", headers=headers)
    assert 'href="/admin"' not in inbox.text
    assert 'href="/admin"' in (await client.get("/", headers=cast.as_(Role.ADMIN))).text


async def test_a_channel_page_shows_how_to_connect_it(client, cast, hub: Hub) -> None:
    headers = cast.as_(Role.ADMIN)
    chat = await factories.channel(hub, ChannelKind.WEBCHAT, colour="#ff6600")
    text = await _page(client, f"/admin/channels/{chat.id}", headers)
    base = hub.settings.base_url.rstrip("/")
    embed = (
        f"&lt;script src=&#34;{base}/widget.js&#34; data-channel=&#34;{chat.id}&#34; async&gt;&lt;/script&gt;"
    )
    assert embed in text
    assert 'value="#ff6600"' in text and 'name="config.origins"' in text and "https://shop.example" in text
    assert 'name="config.secret"' in text and 'type="password"' in text  # sealed: never shown back

    line = await factories.channel(hub, ChannelKind.PHONE, numbers=["4008001234"])
    await client.put(
        f"/api/v1/channels/{line.id}/extensions/301", headers=headers, json={"user": cast.agent.email}
    )
    text = await _page(client, f"/admin/channels/{line.id}", headers)
    assert f"{base}/channels/phone/{line.id}/calls" in text
    assert 'data-extension="301"' in text and cast.agent.email in text
    wechat = await factories.channel(hub, ChannelKind.WECHAT)
    text = await _page(client, f"/admin/channels/{wechat.id}", headers)
    assert f"/channels/wechat/{wechat.id}" in text and "test-token" not in text
    await _page(client, "/admin/channels/new/fax", headers, status=404)


async def test_the_calendar_year_view_marks_holidays_and_make_up_days(client, cast) -> None:
    text = await _page(client, "/admin/calendars/cn?year=2026", cast.as_(Role.ADMIN))
    assert text.count('class="cal-month"') == 12
    assert 'data-date="2026-02-17" data-state="holiday"' in text  # 春节
    assert 'data-date="2026-02-14" data-state="makeup"' in text  # a Saturday worked
    assert 'data-date="2026-02-07" data-state="off"' in text
    assert 'data-date="2026-03-02" data-state="work"' in text
    await _page(client, "/admin/calendars/nowhere", cast.as_(Role.ADMIN), status=404)
