"""The partner portal in a real browser, on a phone-sized screen: the home's waiting order, a line
confirmed as asked, another date proposed for a line, the account manager accepting it on the
review queue, and the partner seeing the new date and the answer on its home; a delivery
schedule's change proposed from the deliveries page and agreed on the partner's company page."""

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


async def test_a_partner_proposes_a_delivery_change_on_a_phone_and_the_manager_agrees(
    hub: Hub, new_page
) -> None:
    manager = await factories.user(hub, Role.AGENT)
    org = await factories.organization(hub, kind=OrganizationKind.PARTNER, manager=manager.id)
    partner = await factories.user(hub, Role.PARTNER, organization_id=org.id)
    order_id, number, _ = await portal.erp_order(hub, org.id)
    planned_for = hub.clock.now().date() + timedelta(days=7)
    planned_id = await portal.delivery_schedule(hub, order_id, number, planned_for)
    later = planned_for + timedelta(days=2)

    page: Page = await new_page(locale="zh-CN")
    await page.set_viewport_size(PHONE)
    await log_in(page, partner.email)
    await page.goto("/portal/deliveries")
    form = page.locator(f'form[data-api="/api/v1/portal/deliveries/{planned_id}/changes"]')
    await form.get_by_label("交货日期").fill(later.isoformat())
    await form.get_by_label("数量").fill("40")
    await form.get_by_label("原因").fill("模具维修 die repair")
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if "/changes" in request.url else None)
    async with page.expect_navigation():  # the page is rendered again once the API took the change
        await form.get_by_role("button", name="提交变更").click()
    change = page.locator(".schedule-change")
    await expect(change).to_have_attribute("data-change", "proposed")
    await expect(change).to_contain_text(f"v1：{later.isoformat()}，40 pcs")
    await expect(change).to_contain_text("待采购方确认")
    assert len(sent) == 1, "the page's two form scripts must not both send it"
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    desk: Page = await new_page(locale="zh-CN")
    await log_in(desk, manager.email)
    await desk.goto(f"/partners/{org.id}")
    waiting = desk.locator("[data-schedule-change]")
    await expect(waiting).to_contain_text(f"{planned_for.isoformat()}，60 → {later.isoformat()}，40 pcs")
    await expect(waiting).to_contain_text("模具维修 die repair")
    async with desk.expect_navigation():
        await waiting.get_by_role("button", name="接受").click()
    await expect(desk.locator("[data-schedule-change]")).to_have_count(0)

    await page.reload()
    await expect(page.locator(".schedule-change")).to_have_attribute("data-change", "accepted")
    await expect(page.locator(".schedule-change")).to_contain_text("已同意")
