"""Screenshots of the admin pages for the README, taken with Playwright against the demo.

    .venv/bin/python tools/screenshots.py                       # starts its own demo, then stops it
    .venv/bin/python tools/screenshots.py --base http://127.0.0.1:8000   # a `make demo` already running

Without ``--base`` it runs ``hub serve --demo`` on a free port with its own data folder
(``./var-screenshots``, never ``./var``), so the pictures show the demo's data exactly as a new
user sees it. Chromium is Debian's (``HUB_CHROMIUM``, default ``/usr/bin/chromium``), as in the
browser tests. The PNGs go to ``docs/screenshots/`` (``--out``), each named after its page.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from playwright.async_api import Page, async_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("HUB_CHROMIUM") or "/usr/bin/chromium"
ADMIN = ("admin@demo.test", "demo1234")
#: (file name, page, language): the admin sections, a channel's page and a calendar's year.
SHOTS = (
    ("admin-channels", "/admin/channels", "zh-CN"),
    ("admin-channel-webchat", "webchat", "zh-CN"),
    ("admin-users", "/admin/users", "zh-CN"),
    ("admin-organizations", "/admin/organizations", "zh-CN"),
    ("admin-sla", "/admin/sla", "en"),
    ("admin-calendar", "/admin/calendars/cn?year=2026", "zh-CN"),
    ("admin-notifications", "/admin/notifications", "en"),
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def demo_server() -> Iterator[str]:
    """``hub serve --demo`` in its own data folder until the block ends."""
    port = _free_port()
    env = {**os.environ, "HUB_DATA_DIR": str(ROOT / "var-screenshots"), "HUB_PORT": str(port)}
    env.pop("HUB_DATABASE_URL", None)
    env.pop("HUB_REDIS_URL", None)
    server = subprocess.Popen([str(ROOT / ".venv/bin/hub"), "serve", "--demo"], env=env, cwd=ROOT)  # noqa: S603 - our own command
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:  # noqa: S310 - http on loopback
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the demo server did not start")
            time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=60)


async def _log_in(page: Page, base: str, lang: str) -> None:
    await page.goto(base + "/login")
    await page.locator("#login-email").fill(ADMIN[0])
    await page.locator("#login-password").fill(ADMIN[1])
    await page.locator("#login-form button[type=submit]").click()
    await page.wait_for_url(base + "/")
    async with page.expect_navigation():  # the switch saves the language and reloads
        await page.locator(f".lang-switch [data-lang='{lang}']").click()


async def shoot(base: str, out: Path) -> list[Path]:
    saved = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox"]
        )
        try:
            for lang in ("zh-CN", "en"):
                context = await browser.new_context(locale=lang, viewport={"width": 1280, "height": 860})
                page = await context.new_page()
                await _log_in(page, base, lang)
                for name, path, shot_lang in SHOTS:
                    if shot_lang != lang:
                        continue
                    if path == "webchat":  # the demo's web-chat channel, found on the list
                        await page.goto(base + "/admin/channels")
                        row = page.locator(
                            "#channel-list tr", has_text="网页聊天" if lang == "zh-CN" else "Web chat"
                        )
                        await row.first.locator("a").click()
                    else:
                        await page.goto(base + path)
                    await page.wait_for_load_state("networkidle")
                    target = out / f"{name}.png"
                    await page.screenshot(path=str(target), full_page=True)
                    saved.append(target)
                await context.close()
        finally:
            await browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="A running demo's address; default: start one.")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.base:
        saved = asyncio.run(shoot(args.base.rstrip("/"), args.out))
    else:
        with demo_server() as base:
            saved = asyncio.run(shoot(base, args.out))
    for path in saved:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    sys.exit(main())
