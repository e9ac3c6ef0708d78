"""The supervisor workspace in Chromium: a satisfaction survey answered in the web-chat widget and
by the link of the survey mail, a decision published by a supervisor and confirmed and answered
by an agent of the team, and the audit log narrowed by its filters."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from playwright.async_api import Page, expect

from hub.core import Hub
from hub.csat import settings as csat_settings
from hub.csat import surveys
from hub.delivery import delivery
from hub.domain import ChannelKind, Role, TicketEventKind, TicketStatus
from hub.models import Outbox
from hub.tickets import tickets
from tests import factories
from tests.browser.conftest import log_in
from tests.browser.test_webchat_widget import (  # noqa: F401 - the shop page, its chat and visitor
    ACKNOWLEDGED,
    INPUT,
    LAUNCHER,
    MINE,
    THEIRS,
    _ticket_of,
    chat,
    shop,
    visitor,
)
from tests.email_helpers import mailbox
from tests.smtp_sink import SmtpSink

pytestmark = pytest.mark.anyio


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    server = await SmtpSink().start()
    yield server
    await server.close()


async def _responses(hub: Hub, ticket_id: uuid.UUID) -> list[dict]:
    return [e.data for e in await factories.events(hub, ticket_id) if e.kind is TicketEventKind.CSAT_RESPONSE]


async def test_a_visitor_rates_the_chat_with_a_face_in_the_widget(
    hub: Hub,
    shop,  # noqa: F811 - the fixtures of the widget's own tests
    chat,  # noqa: F811
    visitor: Page,  # noqa: F811
) -> None:
    page = visitor
    await page.goto(shop.allowed + "/")
    await page.locator(LAUNCHER).click()
    await page.locator(INPUT).fill("Where is my parcel?")
    await page.locator(INPUT).press("Enter")
    await expect(page.locator(MINE).first).to_have_attribute("data-id", ACKNOWLEDGED)
    ticket_id = await _ticket_of(hub, "Where is my parcel?")
    agent = factories.actor(await factories.user(hub, Role.AGENT))
    await tickets.reply(hub, agent, ticket_id, tickets.Draft(text="It arrives tomorrow."))
    await expect(page.locator(THEIRS)).to_have_count(1)
    await tickets.set_status(hub, agent, ticket_id, TicketStatus.RESOLVED)
    assert (await surveys.send_due(hub)).sent == 1, "web chat asks at once by default"

    survey = page.locator("[data-hub-chat=csat]")
    await expect(survey).to_be_visible()
    await expect(page.locator(THEIRS).nth(1).locator(".hc-bubble")).to_have_text(
        "How would you rate this conversation?"
    )
    send = survey.get_by_role("button", name="Send rating")
    await expect(send).to_be_disabled()
    await survey.get_by_role("radio", name="Satisfied", exact=True).click()
    await survey.get_by_label("Add a comment (optional)").fill("Quick and clear")
    await send.click()
    await expect(survey.locator(".hc-csat-done")).to_contain_text("Thank you for your rating!")
    assert await _responses(hub, ticket_id) == [{"rating": 4, "comment": "Quick and clear"}]

    # Reloaded, the conversation shows the survey answered, not the faces again.
    await page.reload()
    await page.locator(LAUNCHER).click()
    await expect(page.locator("[data-hub-chat=csat]")).to_have_attribute("data-rating", "4")
    assert await page.locator(".hc-csat-face").count() == 0


async def test_a_client_answers_the_survey_by_the_link_in_the_mail(
    hub: Hub, sink: SmtpSink, new_page, live_server: str
) -> None:
    await csat_settings.update(hub, factories.actor_cli(), delay_minutes=0)
    box = await mailbox(hub, smtp_host="127.0.0.1", smtp_port=sink.port, smtp_tls="none")
    agent = factories.actor(await factories.user(hub, Role.AGENT))
    ticket_id = (
        await factories.inbound(hub, box.id, sender="li@client.example", text="发票抬头错了")
    ).ticket_id
    assert ticket_id is not None
    await tickets.reply(hub, agent, ticket_id, tickets.Draft(text="已重开发票。"))
    await tickets.set_status(hub, agent, ticket_id, TicketStatus.RESOLVED)
    assert (await surveys.send_due(hub)).sent == 1
    async with hub.uow() as uow:
        pending = list(await uow.session.scalars(sa.select(Outbox.id).where(Outbox.status == "pending")))
    for outbox_id in pending:
        await delivery.deliver(hub, outbox_id)
    # the answer and the survey both went out; which reached the sink first is not ours to fix
    (mail,) = [r.message for r in sink.received if "/csat/" in r.message.get_body(("plain",)).get_content()]
    links = re.findall(r"https?://\S+/csat/\w+\?rating=\d", mail.get_body(("plain",)).get_content())
    assert len(links) == 5
    five = next(link for link in links if link.endswith("rating=5"))
    page: Page = await new_page(locale="zh-CN")
    await page.goto(live_server + urlsplit(five).path + "?" + urlsplit(five).query)
    await expect(page.get_by_role("radio", name="非常满意", exact=True)).to_be_checked()
    assert await _responses(hub, ticket_id) == [], "opening the link records nothing"
    await page.get_by_label("还有什么想告诉我们的吗？（选填）").fill("处理得很快")
    await page.get_by_role("button", name="提交").click()
    await expect(page.locator(".csat-thanks")).to_have_text("感谢您的评价！")
    assert await _responses(hub, ticket_id) == [{"rating": 5, "comment": "处理得很快"}]
    # The same link again: answered, nothing to send twice.
    await page.goto(live_server + urlsplit(links[-1]).path + "?" + urlsplit(links[-1]).query)
    await expect(page.locator(".csat-thanks")).to_be_visible()
    assert await page.get_by_role("button", name="提交").count() == 0


async def test_a_supervisor_publishes_a_decision_and_an_agent_confirms_and_answers(
    hub: Hub, new_page
) -> None:
    team = await factories.team(hub, name="售后组")
    supervisor = await factories.user(hub, Role.SUPERVISOR)
    agent = await factories.user(hub, Role.AGENT, team_id=team.id)
    boss: Page = await new_page(locale="zh-CN")
    await log_in(boss, supervisor.email)
    await boss.get_by_role("link", name="决策传达").click()
    await boss.get_by_label("标题").fill("退款超过 500 元需主管复核")
    await boss.get_by_label("内容").fill("自下周一起执行，请各位知悉。")
    await boss.get_by_label("售后组").check()
    await boss.get_by_role("button", name="发布", exact=True).click()
    await boss.wait_for_url(re.compile(r"/decisions/[0-9a-f-]{36}$"))
    await expect(boss.get_by_role("heading", name="接收人：1 人中 0 人已读，0 人已反馈")).to_be_visible()

    worker: Page = await new_page(locale="zh-CN")
    await log_in(worker, agent.email)
    banner = worker.locator(".decision-banner")
    await expect(banner).to_contain_text("待确认的决策：1 条")
    await banner.get_by_role("link", name="去阅读").click()
    await expect(worker.get_by_role("heading", name="退款超过 500 元需主管复核")).to_be_visible()
    await worker.get_by_role("button", name="我已阅读").click()
    await expect(worker.locator("[data-read-at]")).to_contain_text("已读")
    await worker.get_by_role("textbox").fill("收到，已通知组员。")
    await worker.get_by_role("button", name="提交反馈").click()
    await expect(worker.locator("[data-feedback-at]")).to_be_visible()
    await worker.goto("/")
    await expect(worker.locator("#main")).to_be_visible()
    assert await worker.locator(".decision-banner").count() == 0, "nothing left to confirm"

    await boss.reload()
    await expect(boss.get_by_role("heading", name="接收人：1 人中 1 人已读，1 人已反馈")).to_be_visible()
    await expect(boss.locator(f'[data-recipient="{agent.id}"]')).to_contain_text("收到，已通知组员。")


async def test_the_audit_log_narrows_to_an_actor_and_an_object(hub: Hub, new_page) -> None:
    supervisor = await factories.user(hub, Role.SUPERVISOR)
    admin = await factories.user(hub, Role.ADMIN)
    await csat_settings.update(hub, factories.actor(admin), delay_minutes=15)
    await factories.team(hub, name="不计入")  # made outside any use case: no audit line
    team_channel = await factories.channel(hub, ChannelKind.EMAIL)
    assert team_channel is not None
    page: Page = await new_page(locale="zh-CN")
    await log_in(page, supervisor.email)
    await page.get_by_role("link", name="审计日志").click()
    await expect(page.get_by_role("heading", name="审计日志")).to_be_visible()
    await page.get_by_label("操作人").select_option(label=admin.name)
    await page.get_by_role("button", name="搜索").click()
    rows = page.locator("tr[data-audit]")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-action", "csat.settings_updated")
    await expect(rows.first).to_contain_text('"delay_minutes": 15')
    await page.get_by_role("link", name="清除筛选").click()
    await page.get_by_label("对象类型").select_option(label="渠道")
    await page.get_by_role("button", name="搜索").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-action", "channel.created")
    assert "subject_type=channel" in page.url
    export = page.get_by_role("link", name="导出 CSV")
    assert "subject_type=channel" in (await export.get_attribute("href") or "")
