"""An agent and a partner in Chromium: log in, the inbox, search, a ticket, reply, note, status,
live updates without reload, partner isolation and logout."""

from __future__ import annotations

import base64
import re
import time

import httpx
import pyotp
import pytest
import sqlalchemy as sa
from playwright.async_api import Page, expect

from hub.accounts import accounts
from hub.contacts import contacts
from hub.core import Hub
from hub.delivery import delivery
from hub.domain import ChannelKind, OrganizationKind, Role
from hub.models import Outbox
from hub.tickets import tickets
from tests import factories
from tests.browser.conftest import log_in
from tests.loopback import Answer, CallbackServer
from web.auth.identity import CurrentUser

pytestmark = pytest.mark.anyio

#: A real 2x2 PNG: the browser must decode it for the test to see it shown.
PICTURE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGM4YGAARAwQCgAhzgSBU+xT6wAAAABJRU5ErkJggg=="
)


async def test_login_errors_speak_chinese_and_logout_ends_the_session(hub: Hub, new_page) -> None:
    agent = await factories.user(hub, Role.AGENT)
    page: Page = await new_page(locale="zh-CN")
    await page.goto("/")
    await expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    await page.get_by_label("邮箱").fill(agent.email)
    await page.get_by_label("密码").fill("not the password")
    await page.get_by_role("button", name="登录").click()
    await expect(page.locator("#login-error")).to_have_text("邮箱或密码错误。")
    await page.get_by_label("密码").fill(factories.PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await expect(page).to_have_url(re.compile(r"/$"))
    await expect(page.get_by_role("heading", name="收件箱")).to_be_visible()
    await page.get_by_role("button", name="退出登录").click()
    await expect(page).to_have_url(re.compile(r"/login$"))
    await page.goto("/")
    await expect(page).to_have_url(re.compile(r"/login\?next=/$"))


async def test_a_second_factor_is_asked_for_only_when_the_server_says_so(hub: Hub, new_page) -> None:
    agent = await factories.user(hub, Role.AGENT)
    secret, _ = await accounts.begin_totp(hub, agent.id)
    me = CurrentUser.of(agent).actor
    # Enrolled with the previous period's code, so the current one is still unspent for the login.
    await accounts.confirm_totp(hub, me, agent.id, pyotp.TOTP(secret).at(time.time() - 30), enable=True)
    page: Page = await new_page(locale="en")
    await page.goto("/login?next=/%3Fview%3Dall")
    code = page.get_by_label("Authentication code")
    await expect(code).to_be_hidden()
    await page.get_by_label("E-mail").fill(agent.email)
    await page.get_by_label("Password").fill(factories.PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(code).to_be_visible()
    await expect(code).to_be_focused()
    await expect(page.locator("#login-error")).to_have_text("Enter the code from your authenticator app.")
    await code.fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    await page.get_by_role("button", name="Log in").click()
    await expect(page.locator("#login-error")).to_have_text("The authentication code is wrong.")
    await code.fill(pyotp.TOTP(secret).now())
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(re.compile(r"/\?view=all$"))
    # Once logged in, the pages speak the user's stored language (zh-CN here), not the browser's.
    await expect(page.get_by_role("link", name="全部", exact=True)).to_have_attribute("aria-current", "page")


async def test_agent_searches_opens_replies_notes_and_changes_status(hub: Hub, new_page) -> None:
    agent = await factories.user(hub, Role.AGENT)
    email = await factories.channel(hub, ChannelKind.EMAIL)
    await factories.inbound(
        hub,
        email.id,
        sender="chen@client.example",
        name="陈静",
        subject="订单 PO-318 发货时间",
        text="请问订单什么时候发货？",
    )
    await factories.inbound(
        hub, email.id, sender="li@client.example", subject="Invoice copy", text="Please resend"
    )
    page: Page = await new_page(locale="zh-CN")
    await log_in(page, agent.email)
    rows = page.locator("#rows tr[data-id]")
    await expect(rows).to_have_count(2)
    await page.get_by_label("搜索").fill("订单")
    await page.get_by_role("button", name="应用").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("订单 PO-318 发货时间")
    await expect(rows.first).to_contain_text("陈静")

    await rows.first.get_by_role("link").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("订单 PO-318 发货时间")
    await expect(page.locator("#part-thread .msg--inbound")).to_contain_text("请问订单什么时候发货？")

    await page.get_by_label("回复客户").fill("您好，已安排周二发货。")
    await page.get_by_role("button", name="发送回复").click()
    reply = page.locator("#part-thread .msg--outbound")
    await expect(reply).to_contain_text("您好，已安排周二发货。")
    await expect(reply.locator("[data-delivery]")).to_have_attribute("data-delivery", "queued")
    await expect(reply.locator("[data-delivery]")).to_have_text("排队中")
    await expect(page.get_by_label("回复客户")).to_have_value("")
    await expect(page.locator("#reply-form .form-status")).to_have_text(
        "回复已进入发送队列，投递状态显示在消息上。"
    )

    await page.get_by_label("内部备注").fill("客户是老客户，优先处理")
    await page.get_by_role("button", name="添加备注").click()
    note = page.locator("#part-thread .msg--note")
    await expect(note).to_contain_text("客户是老客户，优先处理")
    await expect(note.locator(".msg-kind")).to_have_text("内部备注")

    status = page.locator("#part-header [data-status]")
    await expect(status).to_have_attribute("data-status", "open")  # the reply opened it
    await page.get_by_label("状态", exact=True).select_option("pending")
    await page.get_by_role("button", name="保存").click()
    await expect(status).to_have_attribute("data-status", "pending")
    await expect(status).to_have_text("等待中")

    await page.get_by_placeholder("添加标签").fill("VIP")
    await page.get_by_role("button", name="添加", exact=True).click()
    await expect(page.locator("#part-header .tag")).to_have_text("vip")


async def test_new_messages_appear_live_in_the_inbox_and_the_open_ticket(
    hub: Hub, new_page, live_server
) -> None:
    agent = await factories.user(hub, Role.AGENT)
    erp = await factories.api_channel(hub)
    page: Page = await new_page(locale="en")
    await log_in(page, agent.email)
    await expect(page.locator("#live")).to_have_attribute("data-state", "on")
    await page.evaluate("window.__sameDocument = true")

    async def post(external_id: str, text: str, subject: str | None = None) -> None:
        async with httpx.AsyncClient(base_url=live_server) as client:
            response = await client.post(
                f"/api/v1/channels/{erp.channel.id}/messages",
                headers={"Authorization": f"Bearer {erp.token}"},
                json={
                    "external_id": external_id,
                    "sender": {"identity": "erp-user-7", "name": "Zhou Min"},
                    "subject": subject,
                    "text": text,
                    "thread_ref": "RMA-5531",
                },
            )
            assert response.status_code == 200, response.text

    await post("m-1", "Casing cracked on arrival", subject="RMA-5531 cracked casing")
    row = page.locator("#rows tr[data-id]", has_text="RMA-5531 cracked casing")
    await expect(row).to_be_visible()
    await expect(row).to_contain_text("Zhou Min")
    assert await page.evaluate("window.__sameDocument === true"), "the inbox reloaded instead of updating"

    await row.get_by_role("link").click()
    await expect(page.locator("#live")).to_have_attribute("data-state", "on")
    await page.evaluate("window.__sameDocument = true")
    await post("m-2", "Photos attached in the ERP")
    await expect(page.locator("#part-thread .msg--inbound")).to_have_count(2)
    await expect(page.locator("#part-thread .msg--inbound").last).to_contain_text(
        "Photos attached in the ERP"
    )
    assert await page.evaluate("window.__sameDocument === true"), (
        "the ticket page reloaded instead of updating"
    )


async def test_partners_see_only_their_organization_and_no_internal_notes(hub: Hub, new_page) -> None:
    org = await factories.organization(hub, kind=OrganizationKind.PARTNER, domains=["hengda.example"])
    await factories.organization(hub, kind=OrganizationKind.CLIENT, domains=["rival.example"])
    partner = await factories.user(hub, Role.PARTNER, organization_id=org.id)
    agent = CurrentUser.of(await factories.user(hub, Role.AGENT)).actor
    email = await factories.channel(hub, ChannelKind.EMAIL)
    ours = await factories.inbound(hub, email.id, sender="ops@hengda.example", subject="提货计划更新")
    await factories.inbound(hub, email.id, sender="boss@rival.example", subject="Rival pricing")
    await tickets.note(hub, agent, ours.ticket_id, tickets.Draft(text="内部：合作方交付偏慢"))
    await tickets.reply(hub, agent, ours.ticket_id, tickets.Draft(text="收到，周二 9:00 装货。"))

    page: Page = await new_page(locale="zh-CN")
    await log_in(page, partner.email)
    await page.get_by_role("link", name="全部", exact=True).click()
    rows = page.locator("#rows tr[data-id]")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("提货计划更新")
    await expect(page.get_by_role("link", name="我的")).to_have_count(0)

    await rows.first.get_by_role("link").click()
    await expect(page.locator("#part-thread")).to_contain_text("收到，周二 9:00 装货。")
    await expect(page.locator("#part-thread .msg--note")).to_have_count(0)
    await expect(page.get_by_text("合作方交付偏慢")).to_have_count(0)
    await expect(page.locator("#reply-form, #note-form, #details-form")).to_have_count(0)


async def test_a_failed_delivery_shows_on_the_open_ticket_with_its_reason(hub: Hub, new_page) -> None:
    """The worker's verdict reaches the page live: queued, then failed with the integration's answer."""
    callback = await CallbackServer(
        default=Answer(status=422, body=b'{"error": "unknown recipient"}')
    ).start()
    try:
        agent = await factories.user(hub, Role.AGENT)
        erp = await factories.api_channel(hub, callback_url=callback.url)
        result = await factories.inbound(
            hub, erp.channel.id, sender="erp-user-9", subject="RMA-77", text="Where is it?"
        )
        page: Page = await new_page(locale="zh-CN")
        await log_in(page, agent.email)
        await page.goto(f"/tickets/{result.ticket_id}")
        await expect(page.locator("#live")).to_have_attribute("data-state", "on")
        await page.get_by_label("回复客户").fill("今天发货。")
        await page.keyboard.press("Control+Enter")
        badge = page.locator("#part-thread .msg--outbound [data-delivery]")
        await expect(badge).to_have_attribute("data-delivery", "queued")

        async with hub.uow() as uow:
            outbox_id = await uow.session.scalar(sa.select(Outbox.id))
        assert outbox_id is not None
        assert await delivery.deliver(hub, outbox_id) == "failed"  # as the worker would

        await expect(badge).to_have_attribute("data-delivery", "failed")
        await expect(badge).to_have_text("发送失败")
        await expect(page.locator("#part-thread .delivery-error")).to_contain_text("unknown recipient")
    finally:
        await callback.close()


async def test_the_contacts_channel_picture_shows_on_the_ticket(hub: Hub, new_page) -> None:
    """Served from our origin, so the page's CSP (img-src 'self') lets it load."""
    agent = await factories.user(hub, Role.AGENT)
    wechat = await factories.channel(hub, ChannelKind.WECHAT)
    follower = "wx-demo-app:oPicture"
    result = await factories.inbound(hub, wechat.id, sender=follower, name="小图", text="你好")
    picture = {"sha256": hub.storage.put(PICTURE), "content_type": "image/png"}
    await contacts.update_identity(hub, ChannelKind.WECHAT, follower, profile={"avatar": picture})
    page: Page = await new_page(locale="zh-CN")
    await log_in(page, agent.email)
    await page.goto(f"/tickets/{result.ticket_id}")
    shown = page.locator(".contact-head img.avatar")
    await expect(shown).to_be_visible()
    await expect(shown).to_have_js_property("naturalWidth", 2)
