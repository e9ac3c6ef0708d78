"""The dashboard in Chromium: from a number down to its samples, from a sample to the message on
the ticket page, and an export whose figures are the page's."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.async_api import Page, expect

from hub.domain import ChannelKind, TicketStatus
from hub.models import Message
from hub.reporting import projection
from hub.tickets import tickets
from tests import factories
from tests.browser.conftest import log_in
from tests.integration.sla_setup import desk, sh

pytestmark = pytest.mark.anyio

MARCH = "from=2026-03-01&to=2026-03-31"


@pytest.fixture
async def answered(clocked_hub, clock):
    """Three web chats in March 2026, answered after 1, 5 and 7 minutes (one met, two breached)."""
    hub = clocked_hub
    clock.at = sh("2026-03-04T10:00")
    d = await desk(hub)
    chats = [
        await d.message(hub, ChannelKind.WEBCHAT, sender=f"v{n}", text=f"第{n}个问题") for n in (1, 2, 3)
    ]
    for ticket_id, wait in zip(chats, (1, 4, 2), strict=True):
        clock.advance(minutes=wait)
        await tickets.reply(hub, factories.actor(d.agent), ticket_id, tickets.Draft(text="您好，马上处理"))
    await tickets.set_status(hub, factories.actor(d.agent), chats[0], TicketStatus.RESOLVED)
    await projection.drain(hub)  # what the worker does every second
    return d, chats


def _table(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    return rows[rows.index([]) + 1 :]


async def test_a_supervisor_follows_a_breach_down_to_the_clients_message(new_page, hub, answered) -> None:
    d, _ = answered
    page: Page = await new_page()
    await log_in(page, d.lead.email)
    await page.get_by_role("link", name="数据看板").click()
    await page.goto(f"/dashboard?{MARCH}")
    row = page.locator('tr[data-promise="chat_response"]')
    await expect(row.locator('[data-n="breached"]')).to_have_text("2")
    await expect(page.locator("svg.chart--bars")).to_be_visible()

    await row.locator('[data-n="breached"]').click()
    await expect(page.locator("[data-total]")).to_have_text("共 2 条")
    first = page.locator("tr[data-sample]").first
    await first.locator("[data-start-message]").click()
    await page.wait_for_url("**/tickets/**")
    ticket_id = page.url.split("/tickets/")[1].split("#")[0]
    message_id = page.url.split("#m-")[1]
    async with hub.uow() as uow:
        message = await uow.session.get(Message, message_id)
    assert (
        message is not None and str(message.ticket_id) == ticket_id and message.direction.value == "inbound"
    )
    target = page.locator(f"#m-{message_id}")
    await expect(target).to_be_visible()
    await expect(target).to_contain_text(message.text)


async def test_the_exports_sums_are_the_pages(new_page, answered) -> None:
    d, _ = answered
    page: Page = await new_page()
    await log_in(page, d.lead.email)
    await page.goto(f"/dashboard?{MARCH}")
    row = page.locator('tr[data-promise="chat_response"]')
    shown = {n: await row.locator(f'[data-n="{n}"]').inner_text() for n in ("met", "breached", "active")}
    async with page.expect_download() as download:
        await page.locator('[data-export="csv"]').click()
    exported = _table((await (await download.value).path()).read_text(encoding="utf-8"))
    chat = next(r for r in exported if r and r[0] == "chat_response")
    assert dict(zip(("met", "breached", "active"), chat[1:4], strict=True)) == shown

    await row.locator('[data-n="breached"]').click()
    total = await page.locator("[data-total]").inner_text()
    async with page.expect_download() as download:
        await page.locator('[data-export="csv"]').click()
    samples = _table((await (await download.value).path()).read_text(encoding="utf-8"))
    assert total == f"共 {len(samples) - 1} 条" == f"共 {shown['breached']} 条"
    header = samples[0]
    assert all(r[header.index("outcome")] == "breached" for r in samples[1:])
