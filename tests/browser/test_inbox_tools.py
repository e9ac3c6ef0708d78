"""The agent's tools around a ticket, in Chromium: the contact page and its merge, a new ticket, the
notifications bell live, two agents on one ticket (presence, drafts, the stopped reply), sending a
failed reply again, e-mail HTML in a sandbox with remote images held back, and "::" snippets with
a Chinese input method composing."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.async_api import Page, Route, expect

from hub import notifications
from hub.core import Hub
from hub.delivery import delivery
from hub.domain import ChannelKind, Role, Tier
from hub.models import Contact, Message, Outbox, Ticket
from hub.requirements import requirements
from tests import factories
from tests.browser.conftest import log_in

pytestmark = pytest.mark.anyio

PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGM4YGAARAwQCgAhzgSBU+xT6wAAAABJRU5ErkJggg=="
)


async def in_english(page: Page) -> None:
    """Users start in Chinese; the switch stores English on their profile."""
    await page.locator(".lang-switch [data-lang=en]").click()
    await expect(page.locator("html")).to_have_attribute("lang", "en")


async def test_the_contact_page_shows_the_person_everywhere_and_merges_a_duplicate(
    hub: Hub, new_page
) -> None:
    agent = await factories.user(hub, Role.AGENT, name="周敏")
    manager = await factories.user(hub, Role.AGENT, name="陈经理")
    backup = await factories.user(hub, Role.AGENT, name="林备岗")
    await factories.organization(
        hub, tier=Tier.CORE, manager=manager.id, backup=backup.id, domains=["acme.example"]
    )
    mailbox = await factories.channel(hub, ChannelKind.EMAIL)
    erp = await factories.api_channel(hub)
    by_mail = await factories.inbound(
        hub, mailbox.id, sender="wang@acme.example", name="王工", subject="发票抬头变更"
    )
    by_erp = await factories.inbound(
        hub, erp.channel.id, sender="erp-wang", name="王工（ERP）", subject="订单 7781 延期"
    )
    await requirements.record(
        hub,
        factories.actor(agent),
        by_mail.ticket_id,
        requirements.NewRequirement(content="发票改为季度合开"),
    )
    async with hub.uow() as uow:
        contact_id = await uow.session.scalar(
            sa.select(Message.author_contact_id).where(Message.id == by_mail.message_id)
        )
        duplicate_id = await uow.session.scalar(
            sa.select(Message.author_contact_id).where(Message.id == by_erp.message_id)
        )

    page: Page = await new_page(locale="zh-CN")
    await log_in(page, agent.email)
    await page.goto(f"/tickets/{by_mail.ticket_id}")
    await page.locator("[data-contact-link]").click()
    await page.wait_for_url(f"**/contacts/{contact_id}")
    await expect(page.locator("#identities")).to_contain_text("wang@acme.example")
    await expect(page.locator("[data-account-manager]")).to_have_text("陈经理")
    await expect(page.locator("[data-backup-manager]")).to_have_text("林备岗")
    await expect(page.locator("#organization")).to_contain_text("核心客户")
    await expect(page.locator("#contact-requirements")).to_contain_text("发票改为季度合开")
    await expect(page.locator("#contact-tickets tr[data-id]")).to_have_count(1)

    await page.get_by_label("按姓名、邮箱或电话查找").fill("erp-wang")
    await page.get_by_role("button", name="查找").click()
    candidate = page.locator(f'[data-candidate="{duplicate_id}"]')
    await expect(candidate).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    await candidate.get_by_role("button").click()
    await expect(page.locator("#contact-tickets tr[data-id]")).to_have_count(2)
    await expect(page.locator("#contact-tickets")).to_contain_text("订单 7781 延期")
    await expect(page.locator("#identities li")).to_have_count(2)
    trail = [a.action for a in await factories.audit_trail(hub, contact_id)]
    assert any("merge" in action for action in trail), trail


async def test_an_agent_starts_a_ticket_by_e_mail_from_the_inbox(hub: Hub, new_page) -> None:
    agent = await factories.user(hub, Role.AGENT)
    mailbox = await factories.channel(hub, ChannelKind.EMAIL)
    page: Page = await new_page(locale="en")
    await log_in(page, agent.email)
    await in_english(page)
    await page.get_by_role("link", name="New ticket").click()
    await page.get_by_label("Channel").select_option(str(mailbox.id))
    await expect(page.locator("fieldset.new-call")).to_be_hidden()
    await page.get_by_label("To", exact=True).fill("buyer@client.example")
    await page.get_by_label("Subject").fill("Your quarterly statement")
    await page.get_by_label("Message").fill("Please find the statement attached.")
    await page.get_by_role("button", name="Create and send").click()
    await page.wait_for_url("**/tickets/*")
    await expect(page.locator("h1")).to_contain_text("Your quarterly statement")
    outbound = page.locator("#part-thread .msg--outbound")
    await expect(outbound).to_contain_text("Please find the statement attached.")
    await expect(outbound.locator("[data-delivery]")).to_have_attribute("data-delivery", "queued")
    assert await factories.count(hub, Outbox) == 1


async def test_the_bell_rings_live_in_the_users_language_and_marks_read(hub: Hub, new_page) -> None:
    agent = await factories.user(hub, Role.AGENT)
    other = await factories.user(hub, Role.AGENT)
    mailbox = await factories.channel(hub, ChannelKind.EMAIL)
    ticket_id = (await factories.inbound(hub, mailbox.id, subject="退货地址")).ticket_id
    page: Page = await new_page(locale="zh-CN")
    await log_in(page, agent.email)
    await expect(page.locator("#live")).to_have_attribute("data-state", "on")
    await expect(page.locator("#bell-count")).to_be_hidden()

    due = hub.clock.now() + timedelta(hours=2)
    async with hub.uow() as uow:
        notifications.tell(
            uow,
            notifications.rows_for(
                [agent.id],
                kind="handoff_requested",
                ticket_id=ticket_id,
                params={
                    "number": 10001,
                    "subject": "退货地址",
                    "note": "请确认仓库地址。",
                    "due_at": due.isoformat(),
                },
                now=hub.clock.now(),
            ),
        )
        notifications.tell(
            uow,
            notifications.rows_for(
                [other.id],
                kind="handoff_requested",
                ticket_id=ticket_id,
                params={"number": 10001, "subject": "别人的", "note": "x", "due_at": due.isoformat()},
                now=hub.clock.now(),
            ),
        )
        await uow.commit()

    await expect(page.locator("#bell-count")).to_have_text("1")
    await page.locator("#bell-button").click()
    item = page.locator("#bell-panel .bell-item")
    await expect(item).to_have_count(1)
    await expect(item).to_contain_text("工单 #10001（退货地址）转交贵部门：请确认仓库地址。")
    await item.get_by_role("button", name="标为已读").click()
    await expect(page.locator("#bell-count")).to_be_hidden()
    await expect(page.locator("#bell-panel .bell-item.is-unread")).to_have_count(0)


async def test_two_agents_on_one_ticket_see_each_other_and_the_later_reply_is_stopped(
    hub: Hub, new_page
) -> None:
    alice = await factories.user(hub, Role.AGENT, name="Alice")
    bob = await factories.user(hub, Role.AGENT, name="Bob")
    mailbox = await factories.channel(hub, ChannelKind.EMAIL)
    ticket_id = (await factories.inbound(hub, mailbox.id, subject="Broken hinge")).ticket_id

    a: Page = await new_page(locale="en")
    b: Page = await new_page(locale="en")
    await log_in(a, alice.email)
    await in_english(a)
    await log_in(b, bob.email)
    await in_english(b)
    await a.goto(f"/tickets/{ticket_id}")
    await expect(a.locator("#live")).to_have_attribute("data-state", "on")
    await b.goto(f"/tickets/{ticket_id}")
    await expect(a.locator("#presence")).to_have_text("Bob viewing")
    await expect(b.locator("#presence")).to_have_text("Alice viewing")

    await a.locator("#reply-text").fill("We will send a new hinge today.")
    await expect(b.locator("#presence")).to_have_text("Alice replying")
    await expect(a.locator('[data-draft-note="reply"]')).to_have_text("Draft saved.")
    await a.reload()
    await expect(a.locator("#reply-text")).to_have_value("We will send a new hinge today.")
    await expect(a.locator('[data-draft-note="reply"]')).to_contain_text("restored")

    await b.locator("#reply-text").fill("A replacement ships tomorrow.")
    await b.keyboard.press("Control+Enter")
    await expect(b.locator("#part-thread .msg--outbound")).to_have_count(1)

    await a.locator("#reply-text").press("End")
    await a.locator("#reply-text").type(" Sorry!")
    await a.locator("#reply-form button[type=submit]").click()
    status = a.locator("#reply-form .form-status")
    await expect(status).to_contain_text("Bob answered this ticket while you were writing")
    await expect(a.locator("#part-thread .msg.is-collision")).to_contain_text("A replacement ships tomorrow.")
    await expect(a.locator("#reply-text")).to_have_value("We will send a new hinge today. Sorry!")
    await a.locator("#reply-form button[type=submit]").click()
    await expect(a.locator("#part-thread .msg--outbound")).to_have_count(2)
    await expect(a.locator("#reply-text")).to_have_value("")


async def test_a_failed_reply_is_sent_again_from_the_page(hub: Hub, new_page) -> None:
    agent = await factories.user(hub, Role.AGENT)
    erp = await factories.api_channel(hub)  # no callback_url: the delivery fails
    ticket_id = (
        await factories.inbound(hub, erp.channel.id, sender="erp-user-4", subject="RMA-90")
    ).ticket_id
    page: Page = await new_page(locale="zh-CN")
    await log_in(page, agent.email)
    await page.goto(f"/tickets/{ticket_id}")
    await expect(page.locator("#live")).to_have_attribute("data-state", "on")
    await page.get_by_label("回复客户").fill("今天发货。")
    await page.keyboard.press("Control+Enter")
    badge = page.locator("#part-thread .msg--outbound [data-delivery]")
    await expect(badge).to_have_attribute("data-delivery", "queued")
    async with hub.uow() as uow:
        outbox_id = await uow.session.scalar(sa.select(Outbox.id))
    assert outbox_id is not None and await delivery.deliver(hub, outbox_id) == "failed"
    await expect(badge).to_have_attribute("data-delivery", "failed")

    await page.get_by_role("button", name="重新发送").click()
    await expect(badge).to_have_attribute("data-delivery", "queued")
    await expect(page.get_by_role("button", name="重新发送")).to_have_count(0)
    async with hub.uow() as uow:
        row = await uow.session.get(Outbox, outbox_id)
        assert row is not None and row.status.value == "pending"


async def test_e_mail_html_is_sandboxed_and_remote_images_wait_for_the_agent(hub: Hub, new_page) -> None:
    agent = await factories.user(hub, Role.AGENT)
    mailbox = await factories.channel(hub, ChannelKind.EMAIL)
    ticket_id = (
        await factories.inbound(
            hub,
            mailbox.id,
            subject="Newsletter",
            text="",
            html='<p>Spring catalogue</p><img src="http://images.example/track.png" alt="tracker">'
            "<script>parent.alert(1)</script>",
        )
    ).ticket_id
    page: Page = await new_page(locale="en")
    fetched: list[str] = []

    async def serve_image(route: Route) -> None:
        fetched.append(route.request.url)
        await route.fulfill(status=200, body=PIXEL, content_type="image/png")

    await page.context.route("http://images.example/**", serve_image)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    await log_in(page, agent.email)
    await in_english(page)
    await page.goto(f"/tickets/{ticket_id}")

    frame_element = page.locator("iframe.mail-frame")
    sandbox = await frame_element.get_attribute("sandbox")
    assert sandbox is not None and "allow-scripts" not in sandbox
    frame = page.frame_locator("iframe.mail-frame")
    await expect(frame.locator("p")).to_have_text("Spring catalogue")
    image = frame.locator("img[alt=tracker]")
    await expect(image).to_have_count(1)
    assert await image.evaluate("img => img.complete && img.naturalWidth === 0"), "blocked, not shown"
    assert fetched == [], "a remote image was loaded before the agent allowed it"

    await page.get_by_role("button", name="Show remote images for this message").click()
    await expect(frame.locator("img[alt=tracker]")).to_have_js_property("naturalWidth", 2)
    assert fetched == ["http://images.example/track.png"]
    assert dialogs == []


async def test_snippets_insert_with_double_colon_and_never_while_an_ime_composes(hub: Hub, new_page) -> None:
    agent = await factories.user(hub, Role.AGENT, name="李娜")
    mailbox = await factories.channel(hub, ChannelKind.EMAIL)
    result = await factories.inbound(hub, mailbox.id, name="王女士", subject="咨询")
    page: Page = await new_page(locale="en")  # the page in English, the client in Chinese
    await log_in(page, agent.email)
    async with hub.uow() as uow:
        ticket = await uow.session.get(Ticket, result.ticket_id)
        assert ticket is not None
        contact = await uow.session.get(Contact, ticket.contact_id)
        assert contact is not None
        contact.locale = "zh-CN"
        number = ticket.number
        await uow.commit()
    await page.goto(f"/tickets/{result.ticket_id}")
    area = page.locator("#reply-text")
    await area.click()

    # An input method composing: Enter picks its candidate; no snippet goes in, nothing is sent.
    await area.dispatch_event("compositionstart")
    await page.keyboard.insert_text("::th")
    await area.evaluate(
        "area => area.dispatchEvent(new KeyboardEvent('keydown', "
        "{key: 'Enter', keyCode: 229, isComposing: true, bubbles: true, cancelable: true}))"
    )
    await expect(area).to_have_value("::th")
    await expect(page.locator("#part-thread .msg--outbound")).to_have_count(0)
    await area.dispatch_event("compositionend")

    menu = page.locator("#snippet-menu")
    await expect(menu).to_be_visible()
    await expect(menu.locator("[role=option]:visible")).to_have_count(1)
    await page.keyboard.press("Enter")
    await expect(area).to_have_value(f"感谢您的耐心，如果还有其他问题，随时联系我们。工单号 {number}。")
    await expect(menu).to_be_hidden()

    await area.fill("")
    await page.keyboard.type("::")
    await expect(menu.locator("[role=option]:visible")).not_to_have_count(0)
    await menu.locator('[data-shortcut="hi"]').click()
    await expect(area).to_have_value("王女士您好，我是李娜，很高兴为您服务。")
