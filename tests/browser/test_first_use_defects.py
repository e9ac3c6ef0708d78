"""What a new user tripped over in Chromium (issue 17's defects), each held to its fix."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from hub.core import Hub
from hub.domain import ChannelKind, Role
from tests import factories
from tests.browser.conftest import log_in

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
