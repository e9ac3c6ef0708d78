"""The server-rendered pages over HTTP: redirects, roles, escaping, languages and time zones.

The browser tests (tests/browser) drive the same pages in Chromium; these check what the server
answers, fast and without a browser.
"""

from __future__ import annotations

import re
import uuid

import pytest
from litestar.testing import AsyncTestClient

from hub.accounts import users
from hub.actors import CLI, Actor
from hub.core import Hub
from hub.domain import ChannelKind, OrganizationKind, Role
from hub.intake.inbound import InboundAttachment
from hub.models import User
from hub.tickets import escalation, tickets
from tests import factories
from web.auth.identity import CurrentUser

pytestmark = pytest.mark.anyio


async def _login(client: AsyncTestClient, email: str) -> None:
    """A browser login: the session and CSRF cookies stay on the client."""
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": factories.PASSWORD})
    assert response.status_code == 200, response.text


async def test_pages_send_anonymous_visitors_to_login_and_keep_where_they_were_going(client) -> None:
    response = await client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/"
    target = f"/tickets/{uuid.uuid4()}"
    response = await client.get(target, follow_redirects=False)
    assert response.headers["location"] == f"/login?next={target}"
    response = await client.get("/?view=all&q=%E8%AE%A2%E5%8D%95", follow_redirects=False)
    assert response.headers["location"] == "/login?next=/%3Fview%3Dall%26q%3D%25E8%25AE%25A2%25E5%258D%2595"
    api = await client.get("/api/v1/tickets")
    assert api.status_code == 401 and api.json()["code"] == "not_authenticated"


async def test_login_page_speaks_the_visitors_language_under_a_strict_policy(client) -> None:
    chinese = await client.get("/login", headers={"accept-language": "zh-CN,zh;q=0.9"})
    assert chinese.status_code == 200
    assert '<html lang="zh-CN">' in chinese.text and "邮箱" in chinese.text
    policy = chinese.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert chinese.headers["cache-control"] == "no-store"
    english = await client.get("/login", headers={"accept-language": "en-GB,en;q=0.8"})
    assert '<html lang="en">' in english.text and "E-mail" in english.text
    client.cookies.set("hub_lang", "en")
    switched = await client.get("/login", headers={"accept-language": "zh-CN"})
    assert '<html lang="en">' in switched.text


async def test_login_page_only_returns_to_this_site(client) -> None:
    for hostile in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        page = await client.get("/login", params={"next": hostile})
        assert 'data-next="/"' in page.text, hostile
    page = await client.get("/login", params={"next": "/tickets/x?y=1"})
    assert 'data-next="/tickets/x?y=1"' in page.text


async def test_static_files_are_public_and_versioned(client) -> None:
    page = await client.get("/login")
    css = re.search(r'href="(/static/hub\.css\?v=[0-9a-f]+)"', page.text)
    js = re.search(r'src="(/static/hub\.js\?v=[0-9a-f]+)"', page.text)
    assert css and js
    assert (await client.get(css.group(1))).status_code == 200
    script = await client.get(js.group(1))
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]


async def _ticket(hub: Hub, **fields: object) -> uuid.UUID:
    chan = await factories.channel(hub, ChannelKind.EMAIL)
    result = await factories.inbound(hub, chan.id, **fields)  # type: ignore[arg-type]
    return result.ticket_id


async def test_inbox_lists_searches_and_pages_for_staff(client, hub: Hub) -> None:
    agent = await factories.user(hub, Role.AGENT)
    order = await _ticket(
        hub, sender="chen@client.example", subject="订单 RMA-1 外壳破损", text="请尽快处理订单", name="陈静"
    )
    await _ticket(hub, sender="li@client.example", subject="Invoice question", text="Where is it?")
    await _login(client, agent.email)
    page = await client.get("/?view=all")
    assert page.status_code == 200
    assert "订单 RMA-1 外壳破损" in page.text and "Invoice question" in page.text and "陈静" in page.text
    found = await client.get("/?view=all&q=订单")
    assert f'data-id="{order}"' in found.text and "Invoice question" not in found.text
    rows = await client.get("/inbox/rows", params={"view": "all", "limit": 1})
    assert rows.text.count("<tr data-id=") == 1 and rows.headers["x-next-cursor"]
    rest = await client.get("/inbox/rows", params={"view": "all", "cursor": rows.headers["x-next-cursor"]})
    assert rest.text.count("<tr data-id=") == 1 and rest.headers["x-next-cursor"] == ""
    bad = await client.get("/?view=nonsense&status=weird&channel=fax")
    assert bad.status_code == 200  # a tampered query string falls back to the defaults


async def test_views_split_mine_and_unassigned(client, hub: Hub) -> None:
    agent = await factories.user(hub, Role.AGENT)
    mine = await _ticket(hub, sender="a@x.example", subject="for me")
    free = await _ticket(hub, sender="b@x.example", subject="for nobody")
    await tickets.assign(hub, CLI, mine, agent.id)
    await tickets.assign(hub, CLI, free, None)
    await _login(client, agent.email)
    assert "for me" in (await client.get("/?view=mine")).text
    assert "for nobody" not in (await client.get("/?view=mine")).text
    assert "for nobody" in (await client.get("/?view=unassigned")).text
    assert "for me" not in (await client.get("/?view=unassigned")).text


async def test_ticket_page_escapes_customer_text_and_shows_stored_html_as_stored(client, hub: Hub) -> None:
    agent = await factories.user(hub, Role.AGENT)
    ticket_id = await _ticket(
        hub,
        subject='<script>alert("s")</script>',
        text="<img src=x onerror=alert(1)>",
        name="<b>Mallory</b>",
    )
    chan = await factories.channel(hub, ChannelKind.EMAIL)
    await factories.inbound(
        hub, chan.id, text="plain", html='<p onclick="x()">Hello <em>there</em><script>bad()</script></p>'
    )
    await _login(client, agent.email)
    page = await client.get(f"/tickets/{ticket_id}")
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "&lt;script&gt;alert(&#34;s&#34;)&lt;/script&gt;" in page.text
    assert "<img src=x" not in page.text and "&lt;img src=x onerror=alert(1)&gt;" in page.text
    assert "<b>Mallory</b>" not in page.text
    html_ticket = await client.get("/?view=all")
    other = re.findall(r'data-id="([0-9a-f-]{36})"', html_ticket.text)
    # The HTML is its own document, framed by the ticket page in a sandbox (web.pages.mail_html).
    for tid in other:
        body = (await client.get(f"/tickets/{tid}")).text
        frame = re.search(
            r'<iframe class="mail-frame" src="(/messages/[0-9a-f-]{36}/html)" sandbox="([^"]*)"', body
        )
        if frame:
            assert "allow-scripts" not in frame.group(2)
            framed = await client.get(frame.group(1))
            assert (
                "Hello <em>there</em>" in framed.text
                and "onclick" not in framed.text
                and "bad()" not in framed.text
            )
            policy = framed.headers["content-security-policy"]
            assert (
                "default-src 'none'" in policy
                and "script-src" not in policy
                and "img-src 'self' data:" in policy
            )
            break
    else:
        raise AssertionError("the HTML message was not shown")


PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


async def test_inline_images_of_an_html_mail_are_shown_from_their_stored_files(client, hub: Hub) -> None:
    agent = await factories.user(hub, Role.AGENT)
    ticket_id = await _ticket(
        hub,
        text="",
        html='<p>Our logo: <img src="cid:logo%40mail.example" alt="logo"> <img src="cid:gone@x" alt="gone"></p>',
        attachments=[
            InboundAttachment(
                filename="logo.png", content_type="image/png", data=PIXEL, content_id="<Logo@mail.example>"
            )
        ],
    )
    await _login(client, agent.email)
    detail = (await client.get(f"/api/v1/tickets/{ticket_id}")).json()
    (image,) = detail["messages"][0]["attachments"]
    page = await client.get(f"/tickets/{ticket_id}")
    frame = re.search(r'src="(/messages/[0-9a-f-]{36}/html)"', page.text)
    assert frame, "the mail is framed"
    framed = (await client.get(frame.group(1))).text
    assert f'<img src="{image["url"]}" alt="logo">' in framed
    assert '<img src="cid:gone@x" alt="gone">' in framed  # nothing stored under that id: left alone
    served = await client.get(image["url"])
    assert served.status_code == 200 and served.content == PIXEL
    assert served.headers["content-type"] == "image/png"


async def test_partners_see_their_tickets_without_notes_or_controls(client, hub: Hub) -> None:
    org = await factories.organization(hub, kind=OrganizationKind.PARTNER, domains=["partner.example"])
    await factories.organization(hub, kind=OrganizationKind.CLIENT, domains=["other.example"])
    partner = await factories.user(hub, Role.PARTNER, organization_id=org.id)
    agent = await factories.user(hub, Role.AGENT)
    ours = await _ticket(hub, sender="ops@partner.example", subject="ASN 4471 late")
    theirs = await _ticket(hub, sender="ceo@other.example", subject="Secret merger")
    await tickets.note(hub, _agent_actor(agent), ours, tickets.Draft(text="internal: partner is unreliable"))
    await tickets.reply(hub, _agent_actor(agent), ours, tickets.Draft(text="We are on it"))
    await _login(client, partner.email)
    inbox = await client.get("/?view=all")
    assert "ASN 4471 late" in inbox.text and "Secret merger" not in inbox.text
    assert 'href="/?view=mine' not in inbox.text  # no staff views
    page = await client.get(f"/tickets/{ours}")
    assert page.status_code == 200
    assert "We are on it" in page.text
    assert "partner is unreliable" not in page.text
    assert 'id="reply-form"' not in page.text and 'id="details-form"' not in page.text
    assert "/api/v1/tickets/" not in page.text  # no write endpoints on the page at all
    parts = await client.get(f"/tickets/{ours}/parts")
    assert "We are on it" in parts.text and "partner is unreliable" not in parts.text
    assert 'id="details-form"' not in parts.text
    hidden = await client.get(f"/tickets/{theirs}")
    assert hidden.status_code == 404 and "text/html" in hidden.headers["content-type"]
    assert "Secret merger" not in hidden.text


def _agent_actor(user: User) -> Actor:
    return CurrentUser.of(user).actor


async def test_staff_see_notes_controls_and_delivery_state(client, hub: Hub) -> None:
    agent = await factories.user(hub, Role.AGENT)
    ticket_id = await _ticket(hub, sender="c@client.example", subject="Broken hinge")
    await tickets.note(hub, _agent_actor(agent), ticket_id, tickets.Draft(text="check stock first"))
    await tickets.reply(hub, _agent_actor(agent), ticket_id, tickets.Draft(text="Replacement on its way"))
    await _login(client, agent.email)
    page = await client.get(f"/tickets/{ticket_id}", headers={"accept-language": "en"})
    assert 'class="msg msg--note"' in page.text and "check stock first" in page.text
    assert 'data-delivery="queued"' in page.text
    assert (
        'id="reply-form"' in page.text and 'id="note-form"' in page.text and 'id="details-form"' in page.text
    )
    parts = await client.get(f"/tickets/{ticket_id}/parts")
    assert re.findall(r'<template data-part="(\w+)">', parts.text) == ["header", "thread", "side"]


async def test_a_message_type_is_named_in_the_viewers_language_or_shown_as_sent(client, hub: Hub) -> None:
    agent = await factories.user(hub, Role.AGENT)
    phone = await factories.channel(hub, ChannelKind.PHONE)
    call = await factories.inbound(hub, phone.id, sender="+86 138 0013 8000", type="call", text="来电")
    await factories.inbound(hub, phone.id, sender="+86 138 0013 8000", type="voicemail", text="留言")
    await _login(client, agent.email)
    page = await client.get(f"/tickets/{call.ticket_id}")
    badges = re.findall(r'<span class="badge msgtype" data-type="(\w+)">([^<]+)</span>', page.text)
    assert badges == [("call", "通话记录"), ("voicemail", "voicemail")]


async def test_times_are_shown_in_the_viewers_time_zone(client, hub: Hub) -> None:
    agent = await factories.user(hub, Role.AGENT)
    ticket_id = await _ticket(hub, subject="zone check")
    await _login(client, agent.email)
    shanghai = await client.get(f"/tickets/{ticket_id}")
    stamp = re.search(r'<time datetime="([^"]+)"', shanghai.text)
    assert stamp and stamp.group(1).endswith("+08:00")
    response = await client.patch(
        "/api/v1/users/me",
        json={"time_zone": "America/New_York", "locale": "en"},
        headers={"x-csrf-token": client.cookies["hub_csrf"]},
    )
    assert response.status_code == 200
    new_york = await client.get(f"/tickets/{ticket_id}")
    stamp = re.search(r'<time datetime="([^"]+)"', new_york.text)
    assert stamp and stamp.group(1)[-6:] in ("-05:00", "-04:00")
    assert '<html lang="en">' in new_york.text  # the stored locale wins once logged in


async def test_unknown_pages_answer_a_page_and_unknown_api_paths_json(client, hub: Hub) -> None:
    agent = await factories.user(hub, Role.AGENT)
    await _login(client, agent.email)
    page = await client.get("/no-such-page", headers={"accept": "text/html", "accept-language": "zh-CN"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "页面不存在" in page.text or "未找到" in page.text
    api = await client.get("/api/v1/no-such-thing", headers={"accept": "text/html"})
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/problem+json")
    missing = await client.get(f"/tickets/{uuid.uuid4()}", headers={"accept-language": "en"})
    assert missing.status_code == 404 and "<html" in missing.text
    assert missing.headers["content-security-policy"].startswith("default-src 'none'")


async def test_an_escalated_ticket_shows_its_level_to_staff_only(client, hub: Hub) -> None:
    org = await factories.organization(hub, kind=OrganizationKind.PARTNER, domains=["partner.example"])
    partner = await factories.user(hub, Role.PARTNER, organization_id=org.id)
    supervisor = await factories.user(hub, Role.SUPERVISOR)
    ticket_id = await _ticket(hub, sender="ops@partner.example", subject="Damaged pallets")
    await escalation.escalate(hub, _agent_actor(supervisor), ticket_id, reason="third time", level=2)
    await _login(client, supervisor.email)
    chinese = await client.get(f"/tickets/{ticket_id}")
    assert 'data-escalation="2"' in chinese.text and "已升级：第 2 级（部门负责人）" in chinese.text
    await users.update_user(hub, CLI, supervisor.id, users.UserChanges(locale="en"))
    english = await client.get(f"/tickets/{ticket_id}/parts")
    assert "Escalated: level 2, department head" in english.text
    client.cookies.clear()
    await _login(client, partner.email)
    assert "data-escalation" not in (await client.get(f"/tickets/{ticket_id}")).text
