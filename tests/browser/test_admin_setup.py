"""The issue's "done means", in Chinese in a real Chromium: an administrator sets up a mailbox, a
WeChat account, a team, a user, a client organisation with its account manager, an SLA policy and
a holiday on the admin pages alone, and each form first refuses a bad value with the API's own
words beside the field."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.async_api import Page, expect

from hub.calendars import service as calendars
from hub.core import Hub
from hub.domain import ChannelKind, Role, Tier
from hub.models import AuditEvent, Channel, Organization, SlaPolicy, Team, User
from tests import factories
from tests.browser.conftest import log_in

pytestmark = pytest.mark.anyio


async def _submit(page: Page, form: str) -> None:
    await page.locator(f"#{form} button[type=submit]").click()


async def _refused(page: Page, form: str, field: str, words: str | re.Pattern[str]) -> None:
    """The problem shows beside the field it is about, and the field is marked invalid."""
    box = page.locator(f'#{form} [data-field="{field}"]')
    await expect(box.locator(".field-error")).to_contain_text(words)
    await expect(box.locator("input, select, textarea").first).to_have_attribute("aria-invalid", "true")


async def _row(hub: Hub, model, *where):
    async with hub.uow() as uow:
        return await uow.session.scalar(sa.select(model).where(*where))


async def test_an_admin_sets_the_hub_up_without_the_cli(hub: Hub, new_page) -> None:
    admin = await factories.user(hub, Role.ADMIN)
    agent = await factories.user(hub, Role.AGENT)
    page: Page = await new_page(locale="zh-CN")
    await log_in(page, admin.email)
    await page.get_by_role("link", name="系统管理").click()
    await expect(page).to_have_url(re.compile(r"/admin/channels$"))

    # A mailbox, with SMTP out and IMAP in; a password is never stored, only its variable's name.
    await page.locator('[data-add-kind="email"]').click()
    await page.get_by_label("名称", exact=True).fill("客服邮箱")
    await page.get_by_label("address").fill("support@example.com")
    await page.get_by_label("smtp_host").fill("smtp.example.com")
    await page.get_by_label("smtp_tls").select_option("tls")
    await page.get_by_label("smtp_password_env").fill("1-not-a-name")
    await page.get_by_label("imap_host").fill("imap.example.com")
    await _submit(page, "channel-form")
    await _refused(page, "channel-form", "config.smtp_password_env", "smtp_password_env")
    await page.get_by_label("smtp_password_env").fill("HUB_SMTP_PASSWORD")
    await _submit(page, "channel-form")
    await expect(page.locator("#channel-created")).to_be_visible()
    await page.locator("#channel-created a.button").click()
    await expect(page.locator("h2")).to_contain_text("客服邮箱")
    mailbox = await _row(hub, Channel, Channel.name == "客服邮箱")
    assert mailbox.kind is ChannelKind.EMAIL
    assert (
        mailbox.config["smtp_host"] == "smtp.example.com"
        and mailbox.config["imap_host"] == "imap.example.com"
    )
    assert mailbox.config["smtp_password_env"] == "HUB_SMTP_PASSWORD"

    # A WeChat Official Account: its token is sealed and never shown back.
    await page.goto("/admin/channels/new/wechat")
    await page.get_by_label("名称", exact=True).fill("服务号")
    await page.get_by_label("app_id").fill("wx1234567890")
    await page.get_by_label("token").fill("callback-token")
    await page.get_by_label("aes_key").fill("too-short")
    await page.get_by_label("secret_env").fill("HUB_WECHAT_SECRET")
    await _submit(page, "channel-form")
    await _refused(page, "channel-form", "config.aes_key", "aes_key")
    await page.get_by_label("aes_key").fill("a" * 43)
    await _submit(page, "channel-form")
    await page.locator("#channel-created a.button").click()
    wechat = await _row(hub, Channel, Channel.name == "服务号")
    await expect(page.locator("#channel-webhook")).to_contain_text(f"/channels/wechat/{wechat.id}")
    await expect(page.locator("#channel-form")).not_to_contain_text("callback-token")
    assert "token" not in wechat.config and "token_sealed" in wechat.config

    # A team with its liaison.
    await page.get_by_role("link", name="团队").click()
    form = page.locator("#team-new")
    await form.get_by_label("名称", exact=True).fill("  ")
    await _submit(page, "team-new")
    await _refused(page, "team-new", "name", "name")
    await form.get_by_label("名称", exact=True).fill("After-Sales")
    await form.get_by_label("中文名称").fill("售后服务部")
    await form.get_by_label("对接人").select_option(str(agent.id))
    await form.get_by_label("工作时间").select_option("cn")
    await _submit(page, "team-new")
    await expect(page.locator('[data-team="After-Sales"]')).to_contain_text(agent.name)
    team = await _row(hub, Team, Team.name == "After-Sales")
    assert team.liaison_id == agent.id and team.calendar == "cn"

    # A user in that team.
    await page.get_by_role("link", name="用户").click()
    form = page.locator("#user-new")
    await form.get_by_label("邮箱").fill("zhangmin@example.com")
    await form.get_by_label("名称", exact=True).fill("张敏")
    await form.get_by_label("团队").select_option(str(team.id))
    await form.get_by_label("接待上限").fill("-1")
    await _submit(page, "user-new")
    await _refused(page, "user-new", "capacity", "capacity")
    await form.get_by_label("接待上限").fill("8")
    await _submit(page, "user-new")
    await expect(page.locator('[data-user="zhangmin@example.com"]')).to_contain_text("After-Sales")
    user = await _row(hub, User, User.email == "zhangmin@example.com")
    assert user.team_id == team.id and user.capacity == 8 and user.role is Role.AGENT

    # A core client with its account manager and backup.
    await page.get_by_role("link", name="客户与合作方").click()
    form = page.locator("#org-new")
    await form.get_by_label("名称", exact=True).fill("华东精密")
    await form.get_by_label("客户等级").select_option("core")
    await form.get_by_label("邮件域名").fill("hdjm.example\nnot a domain")
    await form.get_by_label("客户经理", exact=True).select_option(str(agent.id))
    await form.get_by_label("备份客户经理").select_option(str(user.id))
    await _submit(page, "org-new")
    await _refused(page, "org-new", "domains", "not a mail domain")
    await form.get_by_label("邮件域名").fill("hdjm.example")
    await _submit(page, "org-new")
    await expect(page.locator('[data-organization="华东精密"]')).to_contain_text(agent.name)
    org = await _row(hub, Organization, Organization.name == "华东精密")
    assert org.tier is Tier.CORE and org.domains == ["hdjm.example"]
    assert (org.account_manager_id, org.backup_manager_id) == (agent.id, user.id)

    # An SLA policy for the core clients' e-mail.
    await page.get_by_role("link", name="SLA 策略").click()
    form = page.locator("#policy-new")
    await form.get_by_label("名称", exact=True).fill("Core e-mail")
    await form.get_by_label("渠道").select_option("email")
    await form.get_by_label("客户等级").select_option("core")
    await form.get_by_label("首次响应").fill("4 hours")
    await _submit(page, "policy-new")
    await _refused(page, "policy-new", "first_response", re.compile("3bm|30m"))
    await form.get_by_label("首次响应").fill("4bh")
    await _submit(page, "policy-new")
    await expect(page.locator('[data-policy="Core e-mail"]')).to_contain_text("4bh")
    policy = await _row(hub, SlaPolicy, SlaPolicy.name == "Core e-mail")
    assert policy.first_response == "4bh" and policy.tier is Tier.CORE

    # A holiday on the cn calendar, picked in the year view.
    await page.get_by_role("link", name="工作日历").click()
    await page.get_by_role("link", name="cn", exact=True).click()
    await page.goto("/admin/calendars/cn?year=2026")
    await page.locator('[data-date="2026-10-09"]').click()
    await expect(page.get_by_label("日期", exact=True)).to_have_value("2026-10-09")
    await page.get_by_label("工作时段").fill("09:00-12:00")
    await _submit(page, "day-form")
    await _refused(page, "day-form", "periods", "holiday")
    await page.get_by_label("工作时段").fill("")
    await page.get_by_label("备注").fill("公司年会")
    await _submit(page, "day-form")
    await expect(page.locator('[data-date="2026-10-09"]')).to_have_attribute("data-state", "holiday")
    await expect(page.locator('[data-override="2026-10-09"]')).to_contain_text("公司年会")
    cn = await calendars.load_calendar(hub, "cn")
    assert cn.periods_on(date(2026, 10, 9)) == ()

    async with hub.uow() as uow:
        actions = set(
            await uow.session.scalars(
                sa.select(AuditEvent.action).where(AuditEvent.actor_user_id == admin.id)
            )
        )
    assert {"channel.created", "team.created", "user.created", "organization.created"} <= actions
    assert {"sla_policy.created", "calendar.day_set"} <= actions, actions
