"""A partner answers a quality step and the buyer returns it with a comment; a partner reads the
published minutes on a phone, where the pages fit the screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Page, expect

from hub.core import Hub
from hub.portal import meetings
from hub.portal.terms import MeetingKind
from tests.browser.conftest import log_in
from tests.portal.helpers import case as open_case
from tests.portal.helpers import partner

pytestmark = pytest.mark.anyio
PHONE = {"width": 375, "height": 740}


async def _fits(page: Page) -> None:
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"


async def test_a_partner_answers_a_step_and_the_buyer_returns_it(hub: Hub, new_page) -> None:
    who = await partner(hub)
    case = await open_case(hub, who, "来料划伤 Scratched parts")

    page: Page = await new_page(locale="zh-CN")
    await log_in(page, who.engineer.email)
    await page.goto("/portal/quality")
    waiting = page.locator('[data-waiting="quality_step"]')
    await expect(waiting).to_have_count(4)  # D3, D4, D5 and D8 wait on the partner, earliest first
    await expect(waiting.first).to_contain_text("D3")
    await page.locator("a.portal-card-title", has_text="来料划伤").click()
    step = page.locator("#step-D3")
    await expect(step.locator(".step-status")).to_have_text("待答复")
    await step.get_by_label("您的答复").fill("已隔离库存 1,200 件并 100% 全检")
    await step.get_by_role("button", name="提交答复").click()
    await expect(step.locator(".step-status")).to_have_text("待审核")
    await expect(step.locator(".step-answer")).to_have_text("已隔离库存 1,200 件并 100% 全检")
    await expect(step.locator("form")).to_have_count(0)

    buyer: Page = await new_page(locale="zh-CN")
    await log_in(buyer, who.manager.email)
    await buyer.goto(f"/portal/quality/{case.id}")
    review = buyer.locator("#step-D3")
    await review.get_by_role("button", name="退回合作方").click()  # no comment yet
    await expect(review.get_by_label("审核意见（必填）")).to_be_focused()
    await review.get_by_label("审核意见（必填）").fill("Include the 300 pcs in transit")
    await review.get_by_role("button", name="退回合作方").click()
    await expect(review.locator(".step-status")).to_have_text("已退回，请重新答复")

    await page.reload()
    await expect(step.locator(".step-review")).to_have_text("Include the 300 pcs in transit")
    await expect(step.get_by_role("button", name="提交答复")).to_be_visible()


async def test_a_partner_reads_the_published_minutes_on_a_phone(hub: Hub, new_page) -> None:
    who = await partner(hub)
    await open_case(hub, who, "尺寸超差 Out of tolerance")
    await meetings.create_series(
        hub,
        who.manager_actor,
        who.organization.id,
        kind=MeetingKind.WEEKLY_SYNC,
        title="周例会 Weekly sync",
        starts_at=datetime.now(UTC) - timedelta(hours=2),
    )
    async with hub.session_factory() as session:
        (meeting,) = await meetings.list_meetings(
            session, who.manager_actor, organization_id=who.organization.id
        )
    await meetings.save_minutes(
        hub,
        who.manager_actor,
        meeting.id,
        minutes="1. 下周起每日发货\n2. 8D D4 周五前提交",
        attendee_ids=[who.manager.id, who.engineer.id],
    )

    page: Page = await new_page(locale="zh-CN")
    await page.set_viewport_size(PHONE)
    await log_in(page, who.engineer.email)
    await page.goto(f"/portal/meetings/{meeting.id}")
    await expect(page.locator("#minutes")).to_have_text("纪要发布后将在此显示。")
    await _fits(page)

    await meetings.publish(
        hub,
        who.manager_actor,
        meeting.id,
        [meetings.Decision("提交 D4 根因分析", owner_user_id=who.engineer.id)],
    )
    await page.goto("/portal/meetings")
    card = page.locator(f'[data-meeting="{meeting.id}"]')
    await expect(card.locator(".meeting-minutes")).to_contain_text("下周起每日发货")
    await _fits(page)
    await card.get_by_role("link").click()
    await expect(page.locator("#minutes")).to_contain_text("8D D4 周五前提交")
    await expect(page.locator(".portal-agenda")).to_contain_text("暂无待议事项")  # nothing was open yet
    await _fits(page)
    await page.get_by_role("link", name="待办事项").click()
    item = page.locator('[data-item="提交 D4 根因分析"]')
    await item.get_by_role("button", name="标记完成").click()
    await expect(item.locator(".item-status")).to_have_text("已完成")
    await _fits(page)
