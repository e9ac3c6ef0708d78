"""The inbox in Chromium: the keyboard map (never while typing or while a Chinese input method
composes), bulk actions on exactly the selected tickets, a merge, and saved views with live counts."""

from __future__ import annotations

import uuid

import pytest
from playwright.async_api import Page, expect

from hub.core import Hub
from hub.domain import ChannelKind, Priority, Role, TicketStatus
from hub.models import Ticket, User
from hub.tickets import tickets
from tests import factories
from tests.browser.conftest import log_in

pytestmark = pytest.mark.anyio


async def _tickets(hub: Hub, count: int) -> list[Ticket]:
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    made = []
    for n in range(count):
        result = await factories.inbound(
            hub, channel.id, sender=f"client{n}@example.cn", subject=f"询价 {n}", text=f"第 {n} 个问题"
        )
        assert result.ticket_id is not None
        made.append(await factories.get(hub, Ticket, result.ticket_id))
    return made


async def _row(page: Page, ticket: Ticket):
    return page.locator(f'#rows tr[data-id="{ticket.id}"]')


async def test_the_keyboard_moves_assigns_and_resolves_but_never_while_typing_or_composing(
    hub: Hub, new_page
) -> None:
    agent = await factories.user(hub, Role.AGENT)
    made = await _tickets(hub, 3)
    page: Page = await new_page(locale="zh-CN")
    await log_in(page, agent.email)
    await expect(page.locator("#rows tr[data-id]")).to_have_count(3)

    await page.keyboard.press("j")
    first = page.locator("#rows tr.is-current")
    await expect(first).to_have_count(1)
    await page.keyboard.press("j")
    second_id = await page.locator("#rows tr.is-current").get_attribute("data-id")
    await page.keyboard.press("k")
    await page.keyboard.press("j")
    assert await page.locator("#rows tr.is-current").get_attribute("data-id") == second_id
    current = await factories.get(hub, Ticket, uuid.UUID(second_id or ""))

    # "/" goes to the search box; an "a" typed there is text, not "assign to me".
    await page.keyboard.press("/")
    await expect(page.locator("#f-q")).to_be_focused()
    await page.keyboard.type("a")
    await expect(page.locator("#f-q")).to_have_value("a")
    await page.locator("#f-q").fill("")
    await page.locator("#f-q").blur()

    # A Chinese input method composing: its keystrokes are the IME's, whatever the key.
    await page.evaluate(
        "document.body.dispatchEvent(new CompositionEvent('compositionstart', {bubbles: true}))"
    )
    await page.keyboard.press("a")
    await page.keyboard.press("e")
    await page.evaluate(
        "document.body.dispatchEvent(new CompositionEvent('compositionend', {bubbles: true}))"
    )
    await page.evaluate(
        "document.body.dispatchEvent(new KeyboardEvent('keydown', {key: 'a', isComposing: true, bubbles: true}))"
    )
    await page.evaluate(
        "document.body.dispatchEvent(new KeyboardEvent('keydown', {key: 'e', keyCode: 229, bubbles: true}))"
    )
    # The same keys in a real IME composition in the search box (Chrome DevTools protocol).
    cdp = await page.context.new_cdp_session(page)
    await page.locator("#f-q").focus()
    await cdp.send("Input.imeSetComposition", {"text": "询", "selectionStart": 1, "selectionEnd": 1})
    await cdp.send("Input.insertText", {"text": "询价"})
    await expect(page.locator("#f-q")).to_have_value("询价")
    await page.locator("#f-q").fill("")
    await page.locator("#f-q").blur()
    row = await factories.get(hub, Ticket, current.id)
    assert row.assignee_id is None and row.status is TicketStatus.NEW

    # Now the keys act on the current row, and the row says so.
    await page.keyboard.press("a")
    await expect(page.locator(f'#rows tr[data-id="{current.id}"] .c-who')).to_have_text(agent.name)
    assert (await factories.get(hub, Ticket, current.id)).assignee_id == agent.id
    await page.keyboard.press("e")
    await expect(page.locator(f'#rows tr[data-id="{current.id}"]')).to_have_count(0)  # out of "open"
    assert (await factories.get(hub, Ticket, current.id)).status is TicketStatus.RESOLVED
    others = {t.id for t in made} - {current.id}
    for other in others:
        assert (await factories.get(hub, Ticket, other)).assignee_id is None

    # Every shortcut is a button too, and "?" lists them.
    await page.get_by_role("button", name="快捷键 ?").click()
    await expect(page.locator("#keys-help")).to_be_visible()
    await page.get_by_role("button", name="关闭").click()
    await page.keyboard.press("?")
    await expect(page.locator("#keys-help")).to_be_visible()


async def test_bulk_assign_changes_exactly_the_selected_tickets_through_a_live_update(
    hub: Hub, new_page
) -> None:
    agent = await factories.user(hub, Role.AGENT)
    colleague = await factories.user(hub, Role.AGENT)
    made = await _tickets(hub, 5)
    page: Page = await new_page(locale="zh-CN")
    await log_in(page, agent.email)
    await expect(page.locator("#live")).to_have_attribute("data-state", "on")
    chosen = [made[1], made[3]]
    for ticket in chosen:
        await (await _row(page, ticket)).locator("input.pick").check()
    await expect(page.locator("#bulk-count")).to_have_text("已选 2 个")

    # A ticket arrives while the agent is choosing: the rows are drawn again, the choice stays.
    late = await _tickets(hub, 1)
    await expect(page.locator("#rows tr[data-id]")).to_have_count(6)
    for ticket in chosen:
        await expect((await _row(page, ticket)).locator("input.pick")).to_be_checked()
    await expect((await _row(page, late[0])).locator("input.pick")).not_to_be_checked()

    asked: list[str] = []

    async def confirm(dialog) -> None:
        asked.append(dialog.message)
        await dialog.accept()

    page.on("dialog", confirm)
    await page.locator("#bulkbar select[name=assignee_id]").select_option(str(colleague.id))
    await page.get_by_role("button", name="执行").click()
    await expect(page.locator("#bulk-status")).to_have_text("已处理 2 / 2 个。")
    assert asked and all(f"#{t.number}" in asked[0] for t in chosen)
    for ticket in [*made, *late]:
        row = await factories.get(hub, Ticket, ticket.id)
        assert (row.assignee_id == colleague.id) is (ticket in chosen)
    await expect((await _row(page, chosen[0])).locator(".c-who")).to_have_text(colleague.name)
    await expect(page.locator("#rows input.pick:checked")).to_have_count(0)


async def test_merging_two_selected_tickets_leaves_one_in_the_list(hub: Hub, new_page) -> None:
    agent = await factories.user(hub, Role.AGENT)
    made = await _tickets(hub, 3)
    page: Page = await new_page(locale="zh-CN")
    await log_in(page, agent.email)
    page.on("dialog", lambda dialog: dialog.accept())
    target, source = made[2], made[0]
    await (await _row(page, target)).locator("input.pick").check()
    await (await _row(page, source)).locator("input.pick").check()
    await page.locator("#bulk-action").select_option("merge")
    await expect(page.locator("#bulkbar [data-for=merge]")).to_be_visible()
    await page.get_by_role("button", name="执行").click()
    await expect(page.locator("#bulk-status")).to_have_text("已处理 1 / 2 个。")
    await expect(await _row(page, source)).to_have_count(0)
    await expect(await _row(page, target)).to_have_count(1)
    assert (await factories.get(hub, Ticket, source.id)).merged_into_id == target.id


async def test_a_saved_view_shared_with_the_team_keeps_its_filters_and_a_live_count(
    hub: Hub, new_page
) -> None:
    team = await factories.team(hub, "售后一组")
    agent = await factories.user(hub, Role.AGENT, team_id=team.id)
    teammate = await factories.user(hub, Role.AGENT, team_id=team.id)
    made = await _tickets(hub, 4)
    me = factories.actor(agent)
    for ticket in made[:2]:
        await tickets.set_priority(hub, me, ticket.id, Priority.URGENT)
    page: Page = await new_page(locale="zh-CN")
    await log_in(page, agent.email)
    await page.goto("/?view=open&priority=urgent&sort=-number")
    await expect(page.locator("#rows tr[data-id]")).to_have_count(2)
    await page.get_by_text("保存当前视图").click()
    await page.get_by_label("名称").fill("紧急工单")
    await page.get_by_label("与我的团队共享").check()
    await page.get_by_role("button", name="保存", exact=True).click()
    await expect(page.get_by_role("link", name="紧急工单")).to_have_attribute("aria-current", "page")
    await expect(page.locator("#rows tr[data-id]")).to_have_count(2)
    saved = page.locator(".saved-view .count")
    await expect(saved).to_have_text("2")
    await expect(page.locator("#f-priority")).to_have_value("urgent")

    # One more urgent ticket, changed elsewhere: the row and the count follow live.
    await expect(page.locator("#live")).to_have_attribute("data-state", "on")
    await tickets.set_priority(hub, me, made[3].id, Priority.URGENT)
    await expect(page.locator("#rows tr[data-id]")).to_have_count(3)
    await expect(saved).to_have_text("3")

    # The teammate sees the shared view; another team's agent does not.
    other = await new_page(locale="zh-CN")
    await log_in(other, teammate.email)
    await expect(other.get_by_role("link", name="紧急工单")).to_be_visible()
    stranger: User = await factories.user(hub, Role.AGENT)
    third = await new_page(locale="zh-CN")
    await log_in(third, stranger.email)
    await expect(third.get_by_role("heading", name="收件箱")).to_be_visible()
    await expect(third.get_by_role("link", name="紧急工单")).to_have_count(0)


async def test_the_organisation_filter_offers_names_as_the_agent_types(hub: Hub, new_page) -> None:
    east = await factories.organization(hub, name="华东精密 East Precision", domains=["east.example"])
    await factories.organization(hub, name="华南贸易 South Trading", domains=["south.example"])
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    await factories.inbound(hub, channel.id, sender="a@east.example", subject="外壳破损")
    await factories.inbound(hub, channel.id, sender="b@south.example", subject="发票问题")
    agent = await factories.user(hub, Role.AGENT)
    page: Page = await new_page(locale="zh-CN")
    await log_in(page, agent.email)
    await expect(page.locator("#rows tr[data-id]")).to_have_count(2)

    field = page.get_by_label("客户组织")
    await field.press_sequentially("精密")
    await expect(page.locator("#f-organization-names option")).to_have_count(1)
    await expect(page.locator("#f-organization-names option")).to_have_attribute("value", east.name)
    # Chromium picks a suggestion as a replacement of the typed text: the filter applies at once.
    await field.evaluate(
        """(input, name) => {
            input.value = name;
            input.dispatchEvent(new InputEvent("input", { inputType: "insertReplacementText", bubbles: true }));
        }""",
        east.name,
    )
    await page.wait_for_url("**organization_name=*")
    await expect(page.locator("#rows tr[data-id]")).to_have_count(1)
    await expect(page.locator("#rows")).to_contain_text("外壳破损")
    await expect(field).to_have_value(east.name)

    # Typing a name and pressing Enter works too; clearing the field drops the filter.
    await field.fill("华南")
    await field.press("Enter")
    await expect(page.locator("#rows")).to_contain_text("发票问题")
    await expect(page.locator("#rows tr[data-id]")).to_have_count(1)
    await field.fill("")
    await field.press("Enter")
    await expect(page.locator("#rows tr[data-id]")).to_have_count(2)
