"""The web-chat widget in Chromium, embedded with its one line in a shop page on ANOTHER origin.

The hub runs as ``hub serve`` does (tests/live.py) on ``http://127.0.0.1:<port>``; the shop page is
served by a tiny HTTP server on its own port, so the widget talks to the hub cross-origin exactly as
on a customer's site. The same shop server reached as ``localhost`` is an origin the channel does
not allow. Nothing is mocked: the widget's REST calls, its WebSocket, the funnel and the agent's
reply through the API are the real ones.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import sqlalchemy as sa
from playwright.async_api import BrowserContext, Page, WebSocketRoute, expect

from channels.webchat import tokens
from channels.webchat.spec import channel_secret
from hub.actors import CLI
from hub.core import Hub
from hub.demo import DEMO_PASSWORD, allow_demo_chat_from, seed_demo
from hub.domain import ChannelKind, Direction, Role
from hub.intake import channel_instances
from hub.models import Channel, Message, WebchatVisitor
from tests import factories
from tests.browser.conftest import log_in

pytestmark = pytest.mark.anyio

LAUNCHER = "[data-hub-chat=launcher]"
INPUT = "[data-hub-chat=input]"
SEND = "[data-hub-chat=send]"
MESSAGES = "[data-hub-chat=message]"
MINE = "[data-hub-chat=message][data-direction=in]"
THEIRS = "[data-hub-chat=message][data-direction=out]"
#: A real 2x2 PNG: the browser must decode it for the test to see it shown.
PICTURE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGM4YGAARAwQCgAhzgSBU+xT6wAAAABJRU5ErkJggg=="
)
#: A message the hub acknowledged carries its id.
ACKNOWLEDGED = re.compile(r".+")


@dataclass
class Shop:
    """The customer's site: ``/`` carries the embed, ``/plain`` the same page without it."""

    port: int
    embed: str = ""

    @property
    def allowed(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def refused(self) -> str:
        return f"http://localhost:{self.port}"


def _page(body: str) -> bytes:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Shop</title>'
        f"{body}</head><body><h1>Precision bearings</h1><p>Ask us anything.</p></body></html>"
    ).encode()


@pytest.fixture
def shop() -> Iterator[Shop]:
    found = Shop(port=0)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = _page(found.embed if self.path.split("?")[0] == "/" else "")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    found.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="shop", daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
async def chat(hub: Hub, shop: Shop, live_server: str) -> uuid.UUID:
    """A web-chat channel that allows the shop's 127.0.0.1 origin, and the shop page embedding it."""
    team = await factories.team(hub)
    created = await channel_instances.add_channel(
        hub,
        CLI,
        kind=ChannelKind.WEBCHAT,
        name="Shop chat",
        team_id=team.id,
        config={"origins": [shop.allowed]},
    )
    channel_id = created.channel.id
    shop.embed = f'<script src="{live_server}/widget.js" data-channel="{channel_id}" async></script>'
    return channel_id


@pytest.fixture
async def visitor(new_page) -> Page:
    """A visitor's browser (English), with its own storage."""
    page: Page = await new_page(locale="en")
    return page


async def _window_keys(page: Page) -> set[str]:
    return set(await page.evaluate("Object.keys(window)"))


async def _agent_token(live_server: str, hub: Hub) -> str:
    agent = await factories.user(hub, Role.AGENT)
    async with httpx.AsyncClient(base_url=live_server) as client:
        response = await client.post(
            "/api/v1/auth/login", json={"email": agent.email, "password": factories.PASSWORD}
        )
        assert response.status_code == 200, response.text
        return str(response.json()["token"])


async def _ticket_of(hub: Hub, text: str) -> uuid.UUID:
    async with hub.uow() as uow:
        found = await uow.session.scalar(sa.select(Message.ticket_id).where(Message.text == text))
    assert found is not None, f"no message {text!r} reached the hub"
    return found


async def _count(hub: Hub, text: str) -> int:
    async with hub.uow() as uow:
        return int(await uow.session.scalar(sa.select(sa.func.count()).where(Message.text == text)) or 0)


async def test_a_visitor_chats_from_another_origin_and_an_agent_reply_arrives_live(
    hub: Hub, shop: Shop, chat: uuid.UUID, visitor: Page, live_server: str
) -> None:
    page = visitor
    await page.goto(shop.allowed + "/plain")
    before = await _window_keys(page)
    async with page.expect_response(lambda r: "/widget.js" in r.url) as loaded:
        await page.goto(shop.allowed + "/")
    script = await loaded.value
    # What the browser downloaded: gzipped, under the 30 KB budget.
    assert (await script.header_value("content-encoding")) == "gzip"
    assert 0 < (await script.request.sizes())["responseBodySize"] < 30 * 1024
    launcher = page.locator(LAUNCHER)
    await expect(launcher).to_be_visible()
    assert await _window_keys(page) - before == {"HubChat"}, "the widget leaked globals"
    await expect(launcher).to_have_attribute("aria-expanded", "false")

    await launcher.click()
    box = page.locator(INPUT)
    await expect(box).to_be_focused()
    await expect(page.locator("[data-hub-chat=greeting]")).to_be_visible()
    await box.fill("Hello, is order PO-77 shipped?")
    await box.press("Shift+Enter")
    await box.press_sequentially("Second line")
    await box.press("Enter")
    mine = page.locator(MINE)
    await expect(mine).to_have_count(1)
    await expect(mine.first).to_have_attribute("data-id", ACKNOWLEDGED)  # acknowledged by the hub
    await expect(mine.first.locator(".hc-bubble")).to_have_text("Hello, is order PO-77 shipped?\nSecond line")
    await expect(box).to_have_value("")

    text = "Hello, is order PO-77 shipped?\nSecond line"
    ticket_id = await _ticket_of(hub, text)
    token = await _agent_token(live_server, hub)
    async with httpx.AsyncClient(base_url=live_server) as client:
        reply = await client.post(
            f"/api/v1/tickets/{ticket_id}/reply",
            headers={"Authorization": f"Bearer {token}"},
            json={"text": "Yes, it left <b>today</b>."},
        )
        assert reply.status_code in (200, 201), reply.text
    theirs = page.locator(THEIRS)
    await expect(theirs).to_have_count(1)
    # Plain text, never HTML: the tags show as typed.
    await expect(theirs.first.locator(".hc-bubble")).to_have_text("Yes, it left <b>today</b>.")
    assert await theirs.first.locator("b").count() == 0
    # The panel is open: the widget marks it read, and the hub's status comes back on the socket.
    await expect(theirs.first).to_have_attribute("data-status", "read")

    # Escape closes the panel and gives the focus back to the launcher.
    await box.press("Escape")
    await expect(page.locator("[data-hub-chat=panel]")).to_be_hidden()
    await expect(launcher).to_be_focused()

    # Reload: the same visitor, the history shown again, nothing doubled.
    await page.reload()
    await page.locator(LAUNCHER).click()
    await expect(page.locator(MESSAGES)).to_have_count(2)
    await expect(page.locator(MINE).first.locator(".hc-bubble")).to_have_text(text)
    await expect(page.locator(THEIRS).first.locator(".hc-bubble")).to_have_text("Yes, it left <b>today</b>.")
    assert await _count(hub, text) == 1


#: WeChat's in-app browser on an Android phone (its engine is Chromium-based); the widget must
#: work there as partners and clients open links from WeChat chats.
WECHAT_ANDROID = (
    "Mozilla/5.0 (Linux; Android 13; V2196A Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/111.0.5563.116 Mobile Safari/537.36 XWEB/1110027 "
    "MMWEBSDK/20231201 MMWEBID/7342 MicroMessenger/8.0.44.2502(0x28002C37) WeChat/arm64 Weixin "
    "NetType/WIFI Language/zh_CN ABI/arm64"
)


async def test_in_wechats_browser_on_a_phone_the_chat_fills_the_screen_in_chinese(
    hub: Hub, shop: Shop, chat: uuid.UUID, new_page
) -> None:
    page: Page = await new_page(
        locale="zh-CN",
        user_agent=WECHAT_ANDROID,
        viewport={"width": 360, "height": 640},
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
    )
    await page.goto(shop.allowed + "/")
    await page.locator(LAUNCHER).tap()
    panel = page.locator("[data-hub-chat=panel]")
    await expect(panel).to_be_visible()
    box = await panel.bounding_box()
    assert box is not None and box["width"] == 360 and box["x"] == 0, f"not full width: {box}"
    # Nothing sticks out sideways: a phone user never has to scroll the chat horizontally.
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    send = page.locator(SEND)
    send_box = await send.bounding_box()
    assert send_box is not None and send_box["y"] + send_box["height"] <= 640, "send is off-screen"
    assert send_box["height"] >= 32, "a thumb cannot hit the send button"
    await expect(page.locator(INPUT)).to_have_attribute("placeholder", re.compile(r"[\u4e00-\u9fff]"))
    await page.locator(INPUT).fill("请问这个型号有现货吗？")
    await send.tap()
    mine = page.locator(MINE)
    await expect(mine).to_have_count(1)
    await expect(mine.first).to_have_attribute("data-id", ACKNOWLEDGED)
    assert await _count(hub, "请问这个型号有现货吗？") == 1


async def test_a_page_of_an_origin_not_allowed_gets_no_session(
    hub: Hub, shop: Shop, chat: uuid.UUID, visitor: Page, live_server: str
) -> None:
    page = visitor
    sessions: list[str] = []
    page.on("request", lambda r: sessions.append(r.url) if r.url.endswith("/sessions") else None)
    # The hub answers 403 without CORS headers, so to the page the request simply fails; only a
    # config the hub gave could lead the widget to draw itself or ask for a session.
    async with page.expect_event("requestfailed", lambda r: r.url.endswith("/config")):
        await page.goto(shop.refused + "/")
    assert await page.locator(LAUNCHER).count() == 0
    assert await page.locator("[data-hub-chat=root]").count() == 0
    assert sessions == []
    async with httpx.AsyncClient(base_url=live_server) as client:
        refused = await client.get(f"/widget/v1/{chat}/config", headers={"Origin": shop.refused})
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    async with hub.uow() as uow:
        assert not await uow.session.scalar(sa.select(sa.func.count()).select_from(Message))


async def test_enter_while_composing_with_an_input_method_never_sends(
    hub: Hub, shop: Shop, chat: uuid.UUID, visitor: Page
) -> None:
    page = visitor
    await page.goto(shop.allowed + "/")
    await page.locator(LAUNCHER).click()
    box = page.locator(INPUT)
    await box.fill("nihao")
    # Chrome and Firefox: the Enter that picks the Latin letters comes with isComposing.
    await box.dispatch_event("compositionstart", {"data": ""})
    await box.evaluate(
        "el => el.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', code: 'Enter', isComposing: true,"
        " bubbles: true, cancelable: true}))"
    )
    await box.dispatch_event("compositionend", {"data": "nihao"})
    # Safari: compositionend first, then a keydown of keyCode 229 for the same Enter.
    await box.evaluate(
        "el => el.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', code: 'Enter', keyCode: 229,"
        " bubbles: true, cancelable: true}))"
    )
    assert await page.locator(MESSAGES).count() == 0
    await expect(box).to_have_value("nihao")
    await box.fill("你好")
    await box.press("Enter")
    await expect(page.locator(MINE)).to_have_count(1)
    await expect(page.locator(MINE).first).to_have_attribute("data-id", ACKNOWLEDGED)
    assert await _count(hub, "你好") == 1
    assert await _count(hub, "nihao") == 0


async def test_words_typed_offline_are_sent_once_when_the_network_returns(
    hub: Hub, shop: Shop, chat: uuid.UUID, visitor: Page
) -> None:
    page = visitor
    context: BrowserContext = page.context
    await page.goto(shop.allowed + "/")
    await page.locator(LAUNCHER).click()
    box = page.locator(INPUT)
    await box.fill("first, online")
    await box.press("Enter")
    await expect(page.locator(MINE).first).to_have_attribute("data-id", ACKNOWLEDGED)

    await context.set_offline(True)
    await box.fill("typed with no network")
    await box.press("Enter")
    pending = page.locator(MINE).nth(1)
    await expect(pending).to_have_attribute("data-state", "retrying")
    outbox = await page.evaluate(
        f"JSON.parse(localStorage.getItem('hubchat:{chat}:outbox') || '[]').map(item => item.text)"
    )
    assert outbox == ["typed with no network"]
    # The page is even reloaded before the network returns: the outbox is in localStorage.
    with contextlib.suppress(Exception):
        await page.reload(timeout=2000)
    await context.set_offline(False)
    await page.goto(shop.allowed + "/")
    await page.locator(LAUNCHER).click()
    await expect(page.locator(MINE)).to_have_count(2)
    await expect(page.locator(MINE).nth(1)).to_have_attribute("data-id", ACKNOWLEDGED)
    await expect(page.locator(MINE).nth(1).locator(".hc-bubble")).to_have_text("typed with no network")
    assert await page.evaluate(f"localStorage.getItem('hubchat:{chat}:outbox')") is None
    assert await _count(hub, "typed with no network") == 1
    async with hub.uow() as uow:
        inbound = await uow.session.scalar(
            sa.select(sa.func.count()).select_from(Message).where(Message.direction == Direction.INBOUND)
        )
    assert inbound == 2


async def test_pre_chat_form_offline_e_mail_a_picture_and_the_agent_typing(
    hub: Hub, shop: Shop, live_server: str, new_page
) -> None:
    """A channel that asks the name (required) and e-mail (optional), with nobody available: the
    form comes first, then the offline notice takes an e-mail; a picture goes up and shows; the
    agent's typing shows while they write."""
    team = await factories.team(hub)
    created = await channel_instances.add_channel(
        hub,
        CLI,
        kind=ChannelKind.WEBCHAT,
        name="Shop chat, pre-chat",
        team_id=team.id,
        config={"origins": [shop.allowed], "prechat_name": "required", "prechat_email": "optional"},
    )
    shop.embed = f'<script src="{live_server}/widget.js" data-channel="{created.channel.id}" async></script>'
    page: Page = await new_page(locale="zh-CN")
    await page.goto(shop.allowed + "/")
    await page.locator(LAUNCHER).click()
    name = page.locator("[data-hub-chat=prechat-name]")
    await expect(name).to_be_focused()
    await expect(page.locator(INPUT)).to_be_hidden()
    await page.get_by_role("button", name="开始对话").click()
    await expect(page.get_by_role("alert")).to_have_text("请填写姓名。")
    await expect(name).to_have_attribute("aria-invalid", "true")
    await name.fill("陈静")
    await page.get_by_role("button", name="开始对话").click()
    await expect(page.locator(INPUT)).to_be_focused()

    notice = page.locator("[data-hub-chat=offline]")
    await expect(notice).to_be_visible()
    await page.locator("[data-hub-chat=email]").fill("chen.jing@ecprecision.cn")
    await page.get_by_role("button", name="通过邮件回复我").click()
    await expect(notice).to_contain_text("我们会回复到 chen.jing@ecprecision.cn")
    async with hub.uow() as uow:
        visitor = await uow.session.scalar(
            sa.select(WebchatVisitor).where(WebchatVisitor.channel_id == created.channel.id)
        )
    assert visitor is not None and (visitor.name, visitor.email) == ("陈静", "chen.jing@ecprecision.cn")

    await page.locator("[data-hub-chat=panel] input[type=file]").set_input_files(
        {"name": "nameplate.png", "mimeType": "image/png", "buffer": PICTURE}
    )
    mine = page.locator(MINE)
    await expect(mine.first).to_have_attribute("data-id", ACKNOWLEDGED)
    picture = mine.first.locator("img")
    await expect(picture).to_have_attribute("alt", "nameplate.png")
    await expect(picture).to_have_js_property("naturalWidth", 2)  # fetched from the hub and decoded

    async with hub.uow() as uow:
        ticket_id = await uow.session.scalar(
            sa.select(Message.ticket_id).where(Message.direction == Direction.INBOUND)
        )
    token = await _agent_token(live_server, hub)
    async with httpx.AsyncClient(base_url=live_server) as client:
        typing = await client.post(
            f"/api/v1/tickets/{ticket_id}/typing",
            headers={"Authorization": f"Bearer {token}"},
            json={"typing": True},
        )
        assert typing.status_code == 204, typing.text
    await expect(page.locator("[data-hub-chat=typing]")).to_contain_text("正在输入")

    # Back on another page of the site: no form again, the address is remembered, the picture is there.
    await page.reload()
    await page.locator(LAUNCHER).click()
    await expect(page.locator(INPUT)).to_be_focused()
    await expect(notice).to_contain_text("我们会回复到 chen.jing@ecprecision.cn")
    await expect(page.locator("[data-hub-chat=email]")).to_be_hidden()
    await expect(page.locator(MINE).first.locator("img")).to_have_js_property("naturalWidth", 2)


async def test_replies_sent_while_the_socket_was_down_arrive_on_reconnect(
    hub: Hub, shop: Shop, chat: uuid.UUID, visitor: Page, live_server: str
) -> None:
    """The socket drops (the test cuts it between the page and the hub) and stays down while the
    agent answers twice; when it comes back the widget resumes after the last message the hub had
    pushed to it and shows each answer once, counted as unread on the launcher while the panel is
    closed."""
    page = visitor
    auths: list[dict[str, object]] = []
    sockets: list[WebSocketRoute] = []
    down = False

    async def route(socket: WebSocketRoute) -> None:
        if down:  # the network is still out: the connection fails, the widget backs off
            await socket.close(code=1013, reason="down")
            return
        hub_side = socket.connect_to_server()

        def forward(frame: str | bytes) -> None:
            if isinstance(frame, str) and '"auth"' in frame:
                auths.append(json.loads(frame))
            hub_side.send(frame)

        socket.on_message(forward)
        sockets.append(socket)

    async def agent_says(text: str) -> None:
        async with httpx.AsyncClient(base_url=live_server) as client:
            reply = await client.post(
                f"/api/v1/tickets/{ticket_id}/reply",
                headers={"Authorization": f"Bearer {token}"},
                json={"text": text},
            )
            assert reply.status_code in (200, 201), reply.text

    await page.route_web_socket(re.compile(r"/socket$"), route)
    await page.goto(shop.allowed + "/")
    launcher = page.locator(LAUNCHER)
    await launcher.click()
    await page.locator(INPUT).fill("Are you there?")
    await page.locator(INPUT).press("Enter")
    await expect(page.locator(MINE).first).to_have_attribute("data-id", ACKNOWLEDGED)
    ticket_id = await _ticket_of(hub, "Are you there?")
    token = await _agent_token(live_server, hub)
    await agent_says("Yes, Li Wei here.")
    theirs = page.locator(THEIRS)
    await expect(theirs).to_have_count(1)
    await page.locator(INPUT).press("Escape")
    assert len(sockets) == 1 and len(auths) == 1

    down = True
    await sockets[0].close(code=1012, reason="cut by the test")
    await agent_says("Which order is it about?")
    await agent_says("I can see PO-77 left today.")
    assert await theirs.count() == 1
    down = False
    await page.evaluate("window.dispatchEvent(new Event('online'))")  # the browser is back online

    await expect(launcher).to_have_attribute("aria-label", "Chat with us (2 new)")
    await expect(page.locator("[data-hub-chat=root] .hc-badge")).to_have_text("2")
    await launcher.click()
    await expect(theirs.locator(".hc-bubble")).to_have_text(
        ["Yes, Li Wei here.", "Which order is it about?", "I can see PO-77 left today."]
    )
    await expect(page.locator("[data-hub-chat=root] .hc-badge")).to_be_hidden()
    first_reply = await theirs.first.get_attribute("data-id")
    assert [frame["after"] for frame in auths] == [None, first_reply]


async def test_set_user_with_the_right_hash_verifies_the_visitor_and_a_wrong_one_changes_nothing(
    hub: Hub, shop: Shop, chat: uuid.UUID, new_page
) -> None:
    async with hub.uow() as uow:
        config = await uow.session.scalar(sa.select(Channel.config).where(Channel.id == chat))
    secret = channel_secret(hub.settings.secret_key, chat, config)
    assert secret is not None

    async def visit(user_id: str, digest: str) -> tuple[bool, WebchatVisitor]:
        page: Page = await new_page(locale="en")
        await page.goto(shop.allowed + "/")
        await expect(page.locator(LAUNCHER)).to_be_visible()
        async with page.expect_response(lambda r: r.url.endswith("/identify")) as answered:
            await page.evaluate(
                "([id, hash]) => { HubChat.setUser({id, name: 'Chen Jing', email: 'chen@ecp.example', hash});"
                " HubChat.open(); }",
                [user_id, digest],
            )
        verified = bool((await (await answered.value).json())["verified"])
        await expect(page.locator("[data-hub-chat=panel]")).to_be_visible()
        await expect(page.locator(INPUT)).to_be_focused()
        await expect(page.locator(SEND)).to_have_text("Send")
        await page.evaluate("HubChat.setLanguage('zh-CN')")
        await expect(page.locator(SEND)).to_have_text("发送")
        await expect(page.locator(INPUT)).to_have_attribute("placeholder", "输入消息…")
        await page.evaluate("HubChat.close()")
        await expect(page.locator("[data-hub-chat=panel]")).to_be_hidden()
        token = await page.evaluate(f"JSON.parse(localStorage.getItem('hubchat:{chat}:token'))")
        visitor_id = tokens.read(hub.settings.secret_key, chat, token)
        async with hub.uow() as uow:
            row = await uow.session.get(WebchatVisitor, visitor_id)
        assert row is not None
        return verified, row

    verified, row = await visit("customer-42", tokens.identity_hash(secret, "customer-42"))
    assert verified and row.verified_id == "customer-42"
    verified, row = await visit("customer-43", tokens.identity_hash(secret, "customer-42"))
    assert not verified and row.verified_id is None


async def test_in_the_demo_a_visitor_on_the_shop_page_chats_with_agent1(
    hub: Hub, new_page, live_server: str
) -> None:
    """What `make demo` promises: the demo shop page, linked from the inbox, reaches the demo's
    agents, and an answer written on the ticket page arrives on the shop page live."""
    await seed_demo(hub)
    assert await allow_demo_chat_from(hub, [live_server])
    agent: Page = await new_page(locale="zh-CN")
    await log_in(agent, "agent1@demo.test", DEMO_PASSWORD)
    await expect(agent.get_by_role("link", name="网页客服演示")).to_have_attribute("href", "/widget/demo")

    shopper: Page = await new_page(locale="zh-CN")
    await shopper.goto("/widget/demo")
    await shopper.locator(LAUNCHER).click()
    await shopper.locator(INPUT).fill("请问 6204 轴承有现货吗？")
    await shopper.locator(INPUT).press("Enter")
    await expect(shopper.locator(MINE).first).to_have_attribute("data-id", ACKNOWLEDGED)

    await agent.goto(f"/tickets/{await _ticket_of(hub, '请问 6204 轴承有现货吗？')}")
    await expect(agent.locator("#part-thread .msg--inbound")).to_contain_text("请问 6204 轴承有现货吗？")
    await agent.get_by_label("回复客户").fill("有现货，今天下单明天发货。")
    await agent.get_by_role("button", name="发送回复").click()
    theirs = shopper.locator(THEIRS)
    await expect(theirs.locator(".hc-bubble")).to_have_text(["有现货，今天下单明天发货。"])
    await expect(theirs.first.locator(".hc-author")).to_have_text("李伟 Li Wei")
    await expect(shopper.locator("[data-hub-chat=agent]")).to_contain_text("李伟 Li Wei")
