"""The complaint playbook end to end in Chinese on a ticket page: the suggestion and its reason,
starting it, a form, a reply filled into the composer and sent, and the resolve gate holding
until the required steps are done or skipped."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from hub.core import Hub
from hub.domain import ChannelKind, Role
from tests import factories
from tests.browser.conftest import log_in

pytestmark = pytest.mark.anyio


async def test_an_agent_runs_the_complaint_playbook(hub: Hub, new_page) -> None:
    agent = await factories.user(hub, Role.AGENT)
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    ticket_id = (
        await factories.inbound(
            hub,
            channel.id,
            name="王女士",
            text="快递把货摔坏了，客服也不理人，我要投诉！",
            subject="投诉：货物破损",
        )
    ).ticket_id
    page: Page = await new_page(locale="zh-CN")
    await log_in(page, agent.email)
    await page.goto(f"/tickets/{ticket_id}")

    # A canned answer: ::shortcut and Tab, filled in for this ticket.
    composer = page.get_by_label("回复客户")
    await composer.fill("好的。::thanks")
    await composer.press("Tab")
    await expect(composer).to_have_value(
        re.compile(r"^好的。感谢您的耐心，如果还有其他问题，随时联系我们。工单号 \d+。$")
    )
    await composer.fill("")

    suggestion = page.locator('[data-suggested="complaint"]')
    await expect(suggestion).to_contain_text("客户投诉处理")
    await expect(suggestion).to_contain_text("客户提到“投诉”")
    await suggestion.get_by_role("button", name="开始").click()
    panel = page.locator("#playbook")
    await expect(panel).to_have_attribute("data-run", "active")
    await expect(page.locator("#part-header [data-priority]")).to_have_attribute("data-priority", "high")
    gate = page.locator("#pb-gate")
    await expect(gate).to_contain_text("解决工单前还需完成：先听完，再致歉，并承诺答复时间；问清事实并定级")

    # Resolving now is refused, naming the playbook's open steps.
    await page.get_by_label("状态", exact=True).select_option("resolved")
    await page.locator("#details-save").click()
    await expect(page.locator("#details-form .form-status")).to_contain_text(
        "话术手册 complaint 还有必做步骤未完成"
    )

    # The first reply: filled in for this client and channel, inserted into the composer, sent.
    await page.locator("#pb-insert-acknowledge").click()
    await expect(composer).to_have_value(re.compile(r"^王女士您好：\n\n我是.+深感抱歉"))
    await page.get_by_role("button", name="发送回复").click()
    await expect(page.locator("#part-thread .msg--outbound")).to_contain_text("深感抱歉")
    await page.locator("#pb-done-acknowledge").click()
    await expect(page.locator("#pb-step-acknowledge")).to_have_attribute("data-state", "done")

    # The form: facts and grade.
    step = page.locator("#pb-step-collect")
    await step.get_by_label("订单号").fill("SO-20261206")
    await step.get_by_label("投诉类别").select_option("logistics")
    await step.get_by_label("严重程度").select_option("yellow")
    await step.get_by_label("客户诉求").fill("换一台新的")
    await step.get_by_role("button", name="保存").click()
    await expect(step).to_have_attribute("data-state", "done")
    # Yellow: the red escalation does not apply.
    await expect(page.locator("#pb-step-escalate_now")).to_have_count(0)

    check = page.locator("#pb-step-investigate")
    for box in await check.get_by_role("checkbox").all():
        await box.check()
    await check.get_by_role("button", name="标记完成").click()
    await expect(check).to_have_attribute("data-state", "done")

    for step_id, reason in (("propose", "客户电话中已接受换新方案"), ("callback", "客户当场确认满意")):
        row = page.locator(f"#pb-step-{step_id}")
        await row.get_by_placeholder("跳过原因").fill(reason)
        await row.get_by_role("button", name="跳过").click()
        await expect(row).to_have_attribute("data-state", "skipped")
        await expect(row).to_contain_text(f"原因：{reason}")
    await expect(gate).to_have_text("解决工单前还需完成：落实方案并找原因。")

    execute = page.locator("#pb-step-execute")
    for box in await execute.get_by_role("checkbox").all():
        await box.check()
    await execute.get_by_role("button", name="标记完成").click()
    await expect(panel).to_have_attribute("data-run", "completed")
    await expect(gate).to_have_count(0)

    await page.get_by_label("状态", exact=True).select_option("resolved")
    await page.locator("#details-save").click()
    await expect(page.locator("#part-header [data-status]")).to_have_attribute("data-status", "resolved")
