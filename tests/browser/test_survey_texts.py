"""An administrator edits the survey's Chinese texts on the admin page (in a real Chromium), and the
next survey sent says them."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from hub.csat import settings as csat_settings
from hub.csat import surveys
from hub.domain import ChannelKind, Role, TicketStatus
from hub.models import Message, Ticket
from hub.tickets import tickets
from tests import factories
from tests.browser.conftest import log_in

pytestmark = pytest.mark.anyio


async def test_an_admin_edits_a_survey_text_and_the_sent_survey_says_it(hub, new_page) -> None:
    admin = await factories.user(hub, Role.ADMIN)
    page: Page = await new_page(locale="en")
    await log_in(page, admin.email)
    await page.goto("/admin/surveys")
    form = page.locator("#csat-form")
    intro = form.locator("#csat-form-texts-zh-CN-intro")
    await expect(intro).to_have_attribute("placeholder", csat_settings.defaults("zh-CN")["intro"])
    await intro.fill("王经理您好，请为工单 #{number}（{subject}）打分：")
    await form.locator("#csat-form-delay_minutes").fill("0")
    async with page.expect_navigation():
        await form.locator("button[type=submit]").click()
    await expect(page.locator("#csat-form-texts-zh-CN-intro")).to_have_value(
        "王经理您好，请为工单 #{number}（{subject}）打分："
    )
    async with hub.uow() as uow:
        saved = await csat_settings.load(uow.session)
    assert saved.delay_minutes == 0 and saved.texts == {
        "zh-CN": {"intro": "王经理您好，请为工单 #{number}（{subject}）打分："}
    }

    box = await factories.channel(hub, ChannelKind.EMAIL)
    agent = factories.actor(await factories.user(hub, Role.AGENT))
    ticket_id = (
        await factories.inbound(hub, box.id, sender="wang@client.example", text="发票开错了")
    ).ticket_id
    assert ticket_id is not None
    await tickets.reply(hub, agent, ticket_id, tickets.Draft(text="已重开。"))
    await tickets.set_status(hub, agent, ticket_id, TicketStatus.RESOLVED)
    assert (await surveys.send_due(hub)).sent == 1
    async with hub.uow() as uow:
        (survey,) = await surveys.for_ticket(uow.session, ticket_id)
        message = await uow.session.get(Message, survey.message_id)
        ticket = await uow.session.get(Ticket, ticket_id)
    assert message.text.startswith(f"王经理您好，请为工单 #{ticket.number}（{ticket.subject}）打分：")
    # The English texts, untouched, keep their defaults.
    await expect(page.locator("#csat-form-texts-en-intro")).to_have_value("")
