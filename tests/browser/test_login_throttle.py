"""Login throttling as a person meets it: after the allowed failures the page says, in Chinese,
how long to wait, and even the right password is refused until then."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from hub.config import Settings
from hub.core import Hub
from hub.domain import Role
from tests import factories
from tests.conftest import make_settings
from web.embedded import ServerUrls

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(server_urls: ServerUrls, tmp_path: Path) -> Settings:
    return make_settings(server_urls, tmp_path, HUB_LOGIN_ATTEMPTS_PER_15MIN="2")


async def test_too_many_failures_are_refused_in_the_users_language(hub: Hub, new_page) -> None:
    agent = await factories.user(hub, Role.AGENT)
    page: Page = await new_page(locale="zh-CN")
    await page.goto("/login")
    error = page.locator("#login-error")
    await page.get_by_label("邮箱").fill(agent.email)
    for _ in range(2):
        await page.get_by_label("密码").fill("wrong password")
        await page.get_by_role("button", name="登录").click()
        await expect(error).to_have_text("邮箱或密码错误。")
        await page.evaluate("document.getElementById('login-error').textContent = ''")
    await page.get_by_label("密码").fill(factories.PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await expect(error).to_have_text(re.compile(r"^失败次数过多，请在 \d+ 秒后重试。$"))
    await expect(page).to_have_url(re.compile(r"/login$"))
