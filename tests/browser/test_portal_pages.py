"""The partner portal in a real browser, on a phone-sized screen: the home's waiting order, a line
confirmed as asked, another date proposed for a line, the account manager accepting it on the
review queue, and the partner seeing the new date and the answer on its home."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.async_api import Page, expect

from hub.core import Hub
from hub.domain import OrganizationKind, Role
from tests import factories
from tests.browser.conftest import log_in
from tests.portal import orders as portal

pytestmark = pytest.mark.anyio

PHONE = {"width": 375, "height": 740}


async def test_a_partner_confirms_and_proposes_on_a_phone_and_the_manager_accepts(hub: Hub, new_page) -> None:
    manager = await factories.user(hub, Role.AGENT)
    org = await factories.organization(hub, kind=OrganizationKind.PARTNER, manager=manager.id)
    partner = await factories.user(hub, Role.PARTNER, organization_id=org.id)
    order_id, number, _ = await portal.erp_order(hub, org.id)
    later = (await portal.line(hub, order_id, 2)).requested_date + timedelta(days=7)

    page: Page = await new_page(locale="zh-CN")
    await page.set_viewport_size(PHONE)
    await log_in(page, partner.email)
    await page.get_by_role("link", name="门户").click()
    waiting = page.locator('#waiting [data-kind="order_to_confirm"]')
    await expect(waiting).to_contain_text(f"确认订单 {number}")
    await expect(waiting).to_contain_text("截止")
    # Nothing wider than the phone: the cards and forms wrap.
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await waiting.get_by_role("link").click()

    line1 = page.locator('[data-line="1"]')
    await line1.get_by_role("button", name="确认").click()
    await expect(page.locator('[data-line="1"]')).to_have_attribute("data-status", "confirmed")

    line2 = page.locator('[data-line="2"]')
    await line2.get_by_label("确认交期").fill(later.isoformat())
    await line2.get_by_role("button", name="确认").click()
    await expect(page.locator('[data-line="2"]')).to_have_attribute("data-status", "changes_proposed")
    await expect(page.locator('[data-line="2"] .pending')).to_contain_text(later.isoformat())
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    desk: Page = await new_page(locale="zh-CN")
    await log_in(desk, manager.email)
    await desk.get_by_role("link", name="交期变更审批").click()
    proposal = desk.locator(".proposal").filter(has_text=number)
    await expect(proposal).to_contain_text(later.isoformat())
    await proposal.get_by_role("button", name="接受").click()
    await expect(desk.locator(".proposal")).to_have_count(0)

    await page.reload()
    await expect(page.locator('[data-line="2"]')).to_have_attribute("data-status", "confirmed")
    await expect(page.locator('[data-line="2"] .confirmed-date')).to_have_text(later.isoformat())
    await page.goto("/portal")
    await expect(page.locator('#waiting [data-kind="proposal_accepted"]')).to_contain_text("已被接受")
