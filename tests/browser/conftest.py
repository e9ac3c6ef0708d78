"""A real Chromium (Debian's, headless) against the real app served by uvicorn on 127.0.0.1.

The app runs in a background thread on its own event loop with its own runtime, exactly as
``hub serve`` runs it; the tests seed data through the hub's use-cases on theirs. Chromium is not
optional: without it these tests fail and say how to install it, so a CI that lost it goes red.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from tests import factories
from tests.live import serve
from web.runtime import Runtime

CHROMIUM = Path(os.environ.get("HUB_CHROMIUM") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Generous for a 2-core machine running the suite alongside PostgreSQL and Redis.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: the browser tests need Debian's package. Install it with "
            "`apt-get install -y --no-install-recommends chromium` (`make test` does so on Debian), or set "
            "HUB_CHROMIUM to another Chromium; do not run `playwright install`.",
            pytrace=False,
        )
    return CHROMIUM


@pytest.fixture
def live_server(runtime: Runtime) -> Iterator[str]:
    """The app on a free port (port 0), until the test ends."""
    with serve(runtime.settings) as base:
        yield base


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def new_page(browser: Browser, live_server: str):
    """``await new_page(locale="zh-CN")``: a fresh browser profile (cookies, storage) per person;
    other keywords go to the browser context (a phone's viewport, user agent, touch)."""
    contexts: list[BrowserContext] = []

    async def make(locale: str = "zh-CN", **options: Any) -> Page:
        context = await browser.new_context(locale=locale, base_url=live_server, **options)
        contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: print("console:", message.type, message.text))
        return page

    errors: list[str] = []
    yield make
    for context in contexts:
        await context.close()
    assert not errors, f"the page's script failed: {errors}"


async def log_in(page: Page, email: str, password: str = factories.PASSWORD) -> None:
    await page.goto("/login")
    await page.get_by_label("邮箱").or_(page.get_by_label("E-mail")).fill(email)
    await page.locator("#login-password").fill(password)
    await page.locator("#login-form button[type=submit]").click()
    await page.wait_for_url("**/")
