"""Editing on the admin pages in a real Chromium, in English: a web-chat channel (its secret shown
once, the embed line, a refused colour, the connection test, disabling it), a phone line's
extensions, people (presence, capacity, deactivation with hand-over, a two-factor reset), teams,
organisations, SLA policies, calendars, API tokens and notification settings."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.async_api import Page, expect

from hub import notification_settings
from hub.actors import CLI
from hub.core import Hub
from hub.domain import ChannelKind, OrganizationKind, Presence, Role
from hub.models import ApiToken, Channel, Organization, PhoneExtension, SlaPolicy, Team, Ticket, User
from hub.sla.policies import NewPolicy, create_policy
from hub.tickets import tickets
from tests import factories
from tests.browser.conftest import log_in

pytestmark = pytest.mark.anyio


async def _submit(page: Page, form: str) -> None:
    await page.locator(f"#{form} button[type=submit]").click()


async def _saved(page: Page, form: str) -> None:
    """Submit, and wait for the page the save reloads."""
    async with page.expect_navigation():
        await _submit(page, form)


async def _refused(page: Page, form: str, field: str, words: str | re.Pattern[str]) -> None:
    box = page.locator(f'#{form} [data-field="{field}"]')
    await expect(box.locator(".field-error")).to_contain_text(words)


async def _get(hub: Hub, model, key):
    async with hub.uow() as uow:
        return await uow.session.get(model, key)


async def _admin_page(hub: Hub, new_page) -> Page:
    admin = await factories.user(hub, Role.ADMIN)
    page: Page = await new_page(locale="en")
    await log_in(page, admin.email)
    await page.locator(".lang-switch [data-lang=en]").click()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    page.on("dialog", lambda dialog: dialog.accept())
    return page


async def test_channels_web_chat_and_phone_in_english(hub: Hub, new_page) -> None:
    agent = await factories.user(hub, Role.AGENT)
    page = await _admin_page(hub, new_page)
    await page.goto("/admin/channels")
    await page.locator('[data-add-kind="webchat"]').click()
    await page.get_by_label("Name", exact=True).fill("Website chat")
    await page.get_by_label("origins").fill("https://shop.example\nhttps://www.shop.example")
    await page.get_by_label("prechat_email").select_option("required")
    await page.get_by_label("calendar").fill("cn")
    await _submit(page, "channel-form")
    created = page.locator("#channel-created")
    await expect(created).to_contain_text("shown only this once")
    await expect(created.locator('[data-result="secrets.secret"]')).to_have_text(re.compile(r"^\S{32,}$"))
    await expect(created.locator('[data-result-row="token"]')).to_be_hidden()
    await created.get_by_role("link", name="Open the channel").click()

    async with hub.uow() as uow:
        chat = await uow.session.scalar(sa.select(Channel).where(Channel.name == "Website chat"))
    assert chat.config["origins"] == ["https://shop.example", "https://www.shop.example"]
    assert chat.config["prechat_email"] == "required" and chat.config["calendar"] == "cn"
    await expect(page.locator("#channel-embed")).to_have_text(
        re.compile(rf'^<script src="\S+/widget\.js" data-channel="{chat.id}" async></script>$')
    )
    await page.get_by_label("colour").fill("red")
    await _submit(page, "channel-form")
    await _refused(page, "channel-form", "config.colour", "colour")
    await expect(page.locator("#channel-form .form-status")).to_contain_text("Invalid input")
    await page.get_by_label("colour").fill("#ff6600")
    await page.get_by_label("greeting_en").fill("Hi! Ask us anything.")
    await _saved(page, "channel-form")
    await expect(page.get_by_label("colour")).to_have_value("#ff6600")
    chat = await _get(hub, Channel, chat.id)
    assert chat.config["colour"] == "#ff6600" and chat.config["greeting_en"] == "Hi! Ask us anything."
    assert "secret_sealed" in chat.config  # kept: the sealed field was left empty

    await page.locator("#channel-test").click()
    await expect(page.locator("#channel-findings li").first).to_be_visible()
    await page.locator("#channel-disable").click()
    await expect(page.locator("#channel-state")).to_have_text("Disabled")
    assert not (await _get(hub, Channel, chat.id)).is_active

    # A phone line: a region in the wrong form is refused, then extensions mapped to people.
    await page.goto("/admin/channels/new/phone")
    await page.get_by_label("Name", exact=True).fill("Hotline")
    await page.get_by_label("numbers").fill("4008001234")
    await page.get_by_label("region").fill("cn")
    await _submit(page, "channel-form")
    await _refused(page, "channel-form", "config.region", "region")
    await page.get_by_label("region").fill("CN")
    await _submit(page, "channel-form")
    await expect(page.locator('#channel-created [data-result="token"]')).to_have_text(re.compile("^hub_ch_"))
    await page.locator("#channel-created a.button").click()
    await expect(page.locator("#channel-webhook")).to_contain_text("/calls")
    await _submit(page, "extension-form")
    await _refused(page, "extension-form", "extension", "required")
    await page.get_by_label("Extension", exact=True).fill("301")
    await page.locator("#extension-form").get_by_label("User").select_option(str(agent.id))
    await _submit(page, "extension-form")
    await expect(page.locator('[data-extension="301"]')).to_contain_text(agent.email)
    async with hub.uow() as uow:
        mapped = await uow.session.scalar(sa.select(PhoneExtension).where(PhoneExtension.extension == "301"))
    assert mapped.user_id == agent.id
    await page.locator('[data-extension="301"] button').click()
    await expect(page.locator('[data-extension="301"]')).to_have_count(0)


async def test_people_teams_and_organisations_are_edited(hub: Hub, new_page) -> None:
    team = await factories.team(hub, "Sales")
    agent = await factories.user(hub, Role.AGENT, team_id=team.id)
    other = await factories.user(hub, Role.AGENT)
    org = await factories.organization(hub, manager=agent.id)
    partner_org = await factories.organization(hub, kind=OrganizationKind.PARTNER)
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    ticket = (await factories.inbound(hub, channel.id, sender="buyer@client.example")).ticket_id
    await tickets.assign(hub, CLI, ticket, agent.id)
    async with hub.uow() as uow:
        row = await uow.session.get(User, other.id)
        row.totp_enabled, row.totp_secret = True, "JBSWY3DPEHPK3PXP"
        await uow.commit()
    page = await _admin_page(hub, new_page)

    await page.goto("/admin/users")
    row = page.locator(f'[data-user="{agent.email}"]')
    await row.locator("xpath=following-sibling::tr[1]//summary").click()
    form = page.get_by_role("form", name=f"Edit {agent.name}")
    await form.get_by_label("Capacity").fill("100000")
    await form.get_by_role("button", name="Save").click()
    await expect(form.locator('[data-field="capacity"] .field-error')).to_contain_text("capacity")
    await form.get_by_label("Capacity").fill("5")
    await form.get_by_label("Presence").select_option("away")
    await form.get_by_label("Active", exact=True).uncheck()
    await form.get_by_role("button", name="Save").click()
    await expect(row).to_contain_text("Deactivated")
    await expect(row).to_contain_text("Away")
    saved = await _get(hub, User, agent.id)
    assert (saved.capacity, saved.presence, saved.is_active) == (5, Presence.AWAY, False)
    assert (await _get(hub, Ticket, ticket)).assignee_id != agent.id  # handed over on deactivation

    # A partner company's user with some of the portal's permissions.
    form = page.locator("#user-new")
    await form.get_by_label("E-mail").fill("buyer@partner.example")
    await form.get_by_label("Name", exact=True).fill("Zhou Qiang")
    await form.get_by_label("Role").select_option("partner")
    await form.get_by_label("Partner organisation").select_option(str(partner_org.id))
    await form.get_by_label("Portal permissions").select_option(["prices", "deliveries"])
    await _submit(page, "user-new")
    await expect(page.locator('[data-user="buyer@partner.example"]')).to_contain_text("Partner")
    async with hub.uow() as uow:
        buyer = await uow.session.scalar(sa.select(User).where(User.email == "buyer@partner.example"))
    assert buyer.organization_id == partner_org.id and sorted(buyer.portal_permissions) == [
        "deliveries",
        "prices",
    ]

    other_row = page.locator(f'[data-user="{other.email}"]')
    await expect(other_row).to_contain_text("On")
    await other_row.locator("xpath=following-sibling::tr[1]//summary").click()
    await page.get_by_role("button", name="Reset two-factor").click()
    await expect(page.locator(f'[data-user="{other.email}"]')).to_contain_text("Off")
    assert not (await _get(hub, User, other.id)).totp_enabled

    await page.goto("/admin/teams")
    await page.locator('[data-team="Sales"] + tr summary').click()
    form = page.get_by_role("form", name="Edit Sales")
    await form.get_by_label("Team lead (escalation 1)").select_option(str(other.id))
    await form.get_by_label("Chinese name").fill("销售部")
    await form.get_by_role("button", name="Save").click()
    await expect(page.locator('[data-team="Sales"]')).to_contain_text(other.name)
    saved_team = await _get(hub, Team, team.id)
    assert saved_team.lead_id == other.id and saved_team.name_zh == "销售部"

    await page.goto("/admin/organizations")
    await page.locator(f'[data-organization="{org.name}"] + tr summary').click()
    form = page.get_by_role("form", name=f"Edit {org.name}")
    await form.get_by_label("Calendar").select_option("cn")
    await form.get_by_label("Backup manager").select_option(str(other.id))
    await form.get_by_label("Account manager").select_option("")
    await form.get_by_role("button", name="Save").click()
    await expect(page.locator(f'[data-organization="{org.name}"]')).to_contain_text(other.name)
    saved_org = await _get(hub, Organization, org.id)
    assert saved_org.backup_manager_id == other.id and saved_org.account_manager_id is None


async def test_policies_calendars_tokens_and_notifications_are_edited(hub: Hub, new_page) -> None:
    policy = await create_policy(hub, CLI, NewPolicy(name="VIP chat", first_response="3bm"))
    page = await _admin_page(hub, new_page)

    await page.goto("/admin/sla")
    await page.locator('[data-policy="VIP chat"] + tr summary').click()
    form = page.get_by_role("form", name="Edit VIP chat")
    await form.get_by_label("Resolution").fill("soon")
    await form.get_by_role("button", name="Save").click()
    await expect(form.locator('[data-field="resolution"] .field-error')).to_contain_text("resolution")
    await form.get_by_label("Resolution").fill("2bd")
    await form.get_by_label("First response").fill("")
    await form.get_by_role("button", name="Save").click()
    await expect(page.locator('[data-policy="VIP chat"]')).to_contain_text("2bd")
    saved = await _get(hub, SlaPolicy, policy.id)
    assert (saved.first_response, saved.resolution) == (None, "2bd")
    await page.locator('[data-policy="VIP chat"] + tr summary').click()
    await page.locator('[data-policy="VIP chat"] + tr').get_by_role("button", name="Remove").click()
    await expect(page.locator('[data-policy="VIP chat"]')).to_have_count(0)

    await page.goto("/admin/calendars")
    form = page.locator("#calendar-new")
    await form.get_by_label("Name", exact=True).fill("sz-factory")
    await form.get_by_label("Working week").fill("mon-sat 08:00-17:00")
    await _submit(page, "calendar-new")
    await _refused(page, "calendar-new", "week", "DAYS=PERIODS")
    await form.get_by_label("Working week").fill("mon-fri=08:00-12:00,13:00-17:00\nsat=08:00-12:00")
    await _submit(page, "calendar-new")
    await expect(page.locator('[data-calendar="sz-factory"]')).to_contain_text("sat 08:00-12:00")
    await page.get_by_role("link", name="sz-factory").click()
    await expect(page.locator('[data-date="2026-01-03"]')).to_be_visible()

    await page.goto("/admin/tokens")
    await page.locator("#token-new").get_by_label("Name", exact=True).fill("E" * 121)
    await _submit(page, "token-new")
    await _refused(page, "token-new", "name", "at most 120 characters")
    await page.locator("#token-new").get_by_label("Name", exact=True).fill("ERP")
    await _submit(page, "token-new")
    await expect(page.locator("#new-token")).to_have_text(re.compile("^hub_"))
    token = await page.locator("#new-token").text_content()
    assert token and token.startswith("hub_")
    await page.get_by_role("link", name="Done").click()
    await expect(page.locator('[data-token="ERP"]')).to_contain_text("Never")
    await expect(page.locator("#token-list")).not_to_contain_text(token)
    await page.locator('[data-token="ERP"]').get_by_role("button", name="Revoke").click()
    await expect(page.locator('[data-token="ERP"]')).to_have_count(0)
    async with hub.uow() as uow:
        assert (await uow.session.scalar(sa.select(ApiToken).where(ApiToken.name == "ERP"))).revoked_at

    await page.goto("/admin/notifications")
    await page.get_by_label("E-mail: SLA warning").uncheck()
    await _saved(page, "notify-form")
    await expect(page.get_by_label("E-mail: SLA warning")).not_to_be_checked()
    async with hub.uow() as uow:
        assert not await notification_settings.emails(uow.session, "sla_warning")
        assert await notification_settings.emails(uow.session, "sla_breached")
