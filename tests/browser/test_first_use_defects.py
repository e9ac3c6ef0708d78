"""What a new user tripped over in Chromium (issue 17's defects), each held to its fix."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa
from playwright.async_api import Page, expect

from channels import catalogue
from hub.core import Hub
from hub.delivery import delivery
from hub.domain import ChannelKind, Role
from hub.intake import message_size
from hub.intake.inbound import WindowGrant
from hub.models import Outbox, ReplyWindow
from hub.tickets import tickets
from tests import factories
from tests.browser.conftest import log_in
from web.auth.identity import CurrentUser

pytestmark = pytest.mark.anyio


async def test_a_long_subject_stays_on_one_line_with_the_full_text_on_hover(hub: Hub, new_page) -> None:
    agent = await factories.user(hub, Role.AGENT)
    email = await factories.channel(hub, ChannelKind.EMAIL)
    subject = "发货延迟 " + "与订单 PO-318 相关的质量问题说明 " * 20 + "end"
    await factories.inbound(hub, email.id, sender="chen@client.example", subject=subject[:400])
    await factories.inbound(hub, email.id, sender="li@client.example", subject="Invoice copy")
    page: Page = await new_page(locale="zh-CN")
    await page.set_viewport_size({"width": 1280, "height": 800})
    await log_in(page, agent.email)
    long_row = page.locator("#rows tr[data-id]", has_text="发货延迟")
    short_row = page.locator("#rows tr[data-id]", has_text="Invoice copy")
    await expect(long_row.get_by_role("link")).to_have_attribute("title", subject[:400])
    long_box, short_box = await long_row.bounding_box(), await short_row.bounding_box()
    assert long_box and short_box
    assert long_box["height"] <= short_box["height"] + 1, "the long subject wraps onto more lines"
    # Every column, the last one included, is on screen: the table needs no sideways scrolling.
    wrap = page.locator(".table-wrap")
    assert await wrap.evaluate("el => el.scrollWidth <= el.clientWidth")
    last = await long_row.locator("td.c-time").bounding_box()
    assert last and last["x"] + last["width"] <= 1280


async def test_a_delivery_failure_reads_in_the_pages_language(hub: Hub, new_page) -> None:
    agent = await factories.user(hub, Role.AGENT)
    erp = await factories.api_channel(hub)  # no callback_url: every reply is refused
    result = await factories.inbound(
        hub, erp.channel.id, sender="erp-user-9", subject="RMA-78", text="Where?"
    )
    message = await tickets.reply(
        hub, CurrentUser.of(agent).actor, result.ticket_id, tickets.Draft(text="今天发货。")
    )
    async with hub.uow() as uow:
        outbox_id = await uow.session.scalar(sa.select(Outbox.id).where(Outbox.message_id == message.id))
    assert outbox_id is not None and await delivery.deliver(hub, outbox_id) == "failed"

    page: Page = await new_page(locale="zh-CN")
    await log_in(page, agent.email)
    await page.goto(f"/tickets/{result.ticket_id}")
    failure = page.locator("#part-thread .msg--outbound .delivery-error")
    await expect(failure).to_have_text(
        "该 API 渠道未配置回调地址（callback_url），无法发送回复，请管理员设置。"
    )


async def test_error_pages_speak_one_language(hub: Hub, new_page) -> None:
    """The viewer's language, whatever the browser asks for: a Chinese agent in an English browser."""
    agent = await factories.user(hub, Role.AGENT)
    page: Page = await new_page(locale="en")
    await log_in(page, agent.email)
    missing = await page.goto(f"/tickets/{uuid.uuid4()}")
    assert missing is not None and missing.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text("出错了 404")
    await expect(page.locator(".error-page p").first).to_have_text("未找到工单。")
    garbled = await page.goto("/tickets/not-a-uuid")
    assert garbled is not None and garbled.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text("出错了 404")
    await expect(page.locator(".error-page p").first).to_have_text("页面不存在。")
    await expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


async def test_saving_details_confirms_and_a_failed_reply_replaces_the_queued_notice(
    hub: Hub, new_page
) -> None:
    agent = await factories.user(hub, Role.AGENT)
    erp = await factories.api_channel(hub)  # no callback_url: the reply fails for good
    result = await factories.inbound(
        hub, erp.channel.id, sender="erp-user-5", subject="RMA-79", text="Where?"
    )
    page: Page = await new_page(locale="zh-CN")
    await log_in(page, agent.email)
    await page.goto(f"/tickets/{result.ticket_id}")
    await expect(page.locator("#live")).to_have_attribute("data-state", "on")

    saved = page.locator("#details-form .form-status")
    await page.get_by_label("优先级").select_option("high")
    await page.get_by_role("button", name="保存").click()
    await expect(saved).to_have_text("已保存。")
    await page.get_by_role("button", name="保存").click()
    await expect(saved).to_have_text("没有需要保存的更改。")

    await page.get_by_label("回复客户").fill("今天发货。")
    await page.get_by_role("button", name="发送回复").click()
    said = page.locator("#reply-form .form-status")
    await expect(said).to_have_text("回复已进入发送队列，投递状态显示在消息上。")
    async with hub.uow() as uow:
        outbox_id = await uow.session.scalar(sa.select(Outbox.id))
    assert outbox_id is not None and await delivery.deliver(hub, outbox_id) == "failed"  # as the worker would
    await expect(page.locator("#part-thread .msg--outbound [data-delivery]")).to_have_text("发送失败")
    await expect(said).to_have_text("回复发送失败，原因显示在消息下方。")


async def test_a_closed_wechat_window_disables_the_reply_box_and_says_why(hub: Hub, new_page) -> None:
    agent = await factories.user(hub, Role.AGENT)
    wechat = await factories.channel(hub, ChannelKind.WECHAT, app_id="wx-window")
    grant = WindowGrant(seconds=48 * 3600, replies=5)
    result = await factories.inbound(hub, wechat.id, sender="wx-window:oWindow", text="在吗？", window=grant)
    async with hub.uow() as uow:  # 48 hours later, as far as the window is concerned
        await uow.session.execute(sa.update(ReplyWindow).values(expires_at=hub.clock.now()))
        await uow.commit()

    page: Page = await new_page(locale="zh-CN")
    await log_in(page, agent.email)
    await page.goto(f"/tickets/{result.ticket_id}")
    await expect(page.locator("#live")).to_have_attribute("data-state", "on")
    box, send = page.get_by_label("回复客户"), page.get_by_role("button", name="发送回复")
    await expect(box).to_be_disabled()
    await expect(send).to_be_disabled()
    await expect(page.locator("#reply-blocked")).to_be_visible()
    await expect(page.locator("#reply-blocked")).to_contain_text("回复窗口已关闭")
    await expect(page.locator("#reply-blocked")).to_contain_text("未配置模板消息，该联系人也没有其他渠道。")
    await expect(page.get_by_label("内部备注")).to_be_enabled()  # notes need no window

    # The customer writes again: a fresh window, and the box opens without a reload.
    await factories.inbound(hub, wechat.id, sender="wx-window:oWindow", text="还在吗？", window=grant)
    await expect(box).to_be_enabled()
    await expect(send).to_be_enabled()
    await expect(page.locator("#reply-blocked")).to_be_hidden()


async def test_long_messages_are_folded_cut_to_the_limit_and_wrap(hub: Hub, new_page) -> None:
    agent = await factories.user(hub, Role.AGENT)
    erp = await factories.api_channel(hub)
    huge = "退货" * 100_000  # 200,000 characters: past the API channel's limit
    result = await factories.inbound(hub, erp.channel.id, sender="erp-7", subject="RMA-80", text=huge)
    word = "W" * 20_000  # one unbroken word, within the limit
    await factories.inbound(hub, erp.channel.id, sender="erp-7", text=word, thread_ref=None)
    page: Page = await new_page(locale="zh-CN")
    await page.set_viewport_size({"width": 1280, "height": 800})
    await log_in(page, agent.email)
    await page.goto(f"/tickets/{result.ticket_id}")

    bodies = page.locator("#part-thread .msg-text")
    await expect(bodies).to_have_count(2)
    toggles = page.get_by_role("button", name="显示全部")
    await expect(toggles).to_have_count(2)
    kept = catalogue.spec("api").body_limit
    await expect(page.locator("#part-thread [data-truncated]")).to_have_text(
        f"消息过长，此处只显示 200000 个字符中的前 {kept} 个；完整内容见附件 {message_size.FULL_TEXT_FILENAME}。"
    )
    folded = await bodies.first.bounding_box()
    assert folded and folded["height"] < 400
    reply = await page.get_by_label("回复客户").bounding_box()
    assert reply and reply["y"] < 2_000, "the reply box is within reach"
    assert await page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    await toggles.first.click()
    await expect(bodies.first).to_have_class(re.compile(r"\bis-expanded\b"))
    await expect(page.get_by_role("button", name="收起")).to_have_attribute("aria-expanded", "true")
    unfolded = await bodies.first.bounding_box()
    assert unfolded and unfolded["height"] > 2_000
    # The long word wraps inside its message rather than widening the page.
    last = await bodies.last.bounding_box()
    thread = await page.locator("#part-thread").bounding_box()
    assert last and thread and last["x"] + last["width"] <= thread["x"] + thread["width"]
    assert await page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
